"""Events held by `outbox.batched` are written in order at the end, and not at all if the block fails."""

from datetime import UTC, datetime

import pytest

from edge.domain.events import PointsEntry
from edge.store.connection import connect, open_database
from edge.store.migrations import migrate
from edge.store.outbox import append_event, batched

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def conn(tmp_path):
    path = tmp_path / "store.db"
    migrate(open_database(path))
    c = connect(path)
    yield c
    c.close()


def entry(name: str) -> PointsEntry:
    return PointsEntry(entry_id=name, member_id="m1", kind="accrue", points=1, sale_id=None)


def types(conn) -> list[str]:
    """The events written so far, by the entry id each was made with."""
    return [t for (t,) in conn.execute("SELECT json_extract(payload, '$.entry_id') FROM outbox ORDER BY seq")]


def test_held_events_are_written_in_the_order_appended_and_only_at_the_end(conn):
    with batched(conn):
        first = append_event(conn, entry("a"), NOW)
        with batched(conn):  # nested: the outer block writes
            append_event(conn, entry("b"), NOW)
        assert types(conn) == []
        append_event(conn, entry("c"), NOW)
    assert types(conn) == ["a", "b", "c"]
    assert conn.execute("SELECT seq FROM outbox WHERE event_id = ?", (first,)).fetchone()[0] == 1
    append_event(conn, entry("d"), NOW)  # outside a batch: written at once
    assert types(conn) == ["a", "b", "c", "d"]


def test_a_failing_block_writes_none_of_its_events(conn):
    with pytest.raises(RuntimeError), batched(conn):
        append_event(conn, entry("lost"), NOW)
        raise RuntimeError("the sale failed")
    append_event(conn, entry("after"), NOW)
    assert types(conn) == ["after"]
