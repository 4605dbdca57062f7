"""The write-ahead log grows while a long reader holds old pages, and is cut back once it is gone."""

from pathlib import Path

import pytest

import edge.store.connection as connection
from edge.store.connection import connect


def _commit_rows(conn, n: int, size: int) -> None:  # noqa: ANN001
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (randomblob(?))", (size,))
        conn.execute("COMMIT")


def test_the_wal_is_cut_back_to_its_limit_after_a_long_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(connection, "WAL_SIZE_LIMIT", 1024 * 1024)
    path = tmp_path / "w.db"
    writer = connect(path)
    writer.execute("PRAGMA synchronous = OFF")  # what is measured is the file's size, not its durability
    writer.execute("CREATE TABLE t (x BLOB)")
    reader = connect(path, readonly=True)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a backup or a report, mid-read
    _commit_rows(writer, 1500, 8000)
    wal = Path(f"{path}-wal")
    grown = wal.stat().st_size
    assert grown > 12 * 1024 * 1024  # no checkpoint could fold it in past the reader

    reader.execute("COMMIT")
    _commit_rows(writer, 1200, 100)  # the next checkpoints complete; the writer restarts the WAL

    # cut back to the limit, then at most the 1,000 pages that trigger the next checkpoint
    assert wal.stat().st_size <= 1000 * 4096 + 64 * 1024
    writer.close()
    reader.close()
