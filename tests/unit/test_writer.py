"""The one writer: grouped commits, a failing command undone alone, answers only after COMMIT."""

import asyncio
import sqlite3

import pytest

from edge.store.connection import connect
from edge.store.writer import Writer, WriterStopped


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "w.db"
    conn = connect(path)
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    conn.close()
    return path


@pytest.fixture
def writer(db_path):
    w = Writer(db_path).start()
    yield w
    w.stop()


def rows(path) -> dict:
    conn = connect(path, readonly=True)
    try:
        return dict(conn.execute("SELECT k, v FROM t").fetchall())
    finally:
        conn.close()


def insert(k, v):
    def command(conn: sqlite3.Connection):
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, v))
        return k
    return command


def test_concurrent_commands_share_commits_and_all_land(writer, db_path):
    async def many():
        return await asyncio.gather(*(writer.run(insert(f"k{i}", i)) for i in range(200)))

    assert asyncio.run(many()) == [f"k{i}" for i in range(200)]
    assert len(rows(db_path)) == 200
    assert writer.groups < writer.commands  # some commits carried more than one command


def test_a_failing_command_rolls_back_alone_and_its_neighbours_commit(writer, db_path):
    def half_then_fail(conn):
        conn.execute("INSERT INTO t (k, v) VALUES ('half', 1)")
        raise ValueError("no")

    async def trio():
        return await asyncio.gather(writer.run(insert("a", 1)), writer.run(half_then_fail), writer.run(insert("b", 2)),
                                    return_exceptions=True)

    a, failed, b = asyncio.run(trio())
    assert (a, b) == ("a", "b") and isinstance(failed, ValueError)
    assert rows(db_path) == {"a": 1, "b": 2}


def test_a_constraint_violation_is_the_callers_error_and_writes_nothing(writer, db_path):
    writer.call(insert("x", 1))
    with pytest.raises(sqlite3.IntegrityError):
        writer.call(insert("x", 2))
    assert rows(db_path) == {"x": 1}


def test_the_writer_connection_is_wal_with_synchronous_full(writer):
    assert writer.call(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL
    assert writer.call(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"


def test_a_stopped_writer_refuses_new_commands(db_path):
    w = Writer(db_path).start()
    w.stop()
    with pytest.raises(WriterStopped):
        w.call(insert("late", 1))


def test_after_commit_callbacks_run_only_for_commands_that_committed(writer):
    from edge.store.writer import after_commit

    ran = []

    def ok(conn):
        after_commit(lambda: ran.append("ok"))
        conn.execute("INSERT INTO t (k, v) VALUES ('cb', 1)")

    def fails(conn):
        after_commit(lambda: ran.append("failed"))
        raise ValueError("no")

    writer.call(ok)
    with pytest.raises(ValueError):
        writer.call(fails)
    assert ran == ["ok"]
