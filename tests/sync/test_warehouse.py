"""The warehouse's ingest, on both engines: one transaction per batch, idempotent, a cursor that only moves forward."""

from datetime import UTC, datetime

import msgspec
import pytest

from sync.hq import warehouse
from sync.wire import BatchHeader

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _batch(epoch: str, seq: int, first: int, n: int) -> tuple[BatchHeader, list[warehouse.Event]]:
    events = [warehouse.Event(seq=s, event_id=f"{epoch}-e{s}", type="sale.completed", occurred_at="2026-11-24",
                              payload=msgspec.Raw(b'{"sale_id":"x"}')) for s in range(first, first + n)]
    header = BatchHeader(store_id="s1", epoch_id=epoch, batch_seq=seq, first_seq=first, last_seq=first + n - 1,
                         count=n, sha256="-", signature="-", oldest_at="-", sealed_at="-")
    return header, events



def test_a_batch_ingested_twice_adds_nothing_the_second_time(wh):
    header, events = _batch("E1", 1, 1, 5)
    assert warehouse.ingest_batch(wh, "s1", "E1", header, events, NOW) == 5
    assert warehouse.ingest_batch(wh, "s1", "E1", header, events, NOW) == 0
    assert warehouse.cursor(wh, "s1") == ("E1", 1)
    assert wh.execute("SELECT count(*) FROM events").fetchone()[0] == 5


def test_a_failure_inside_a_batch_leaves_neither_its_events_nor_the_cursor(wh):
    header, events = _batch("E1", 1, 1, 3)
    broken = [*events, warehouse.Event(seq=4, event_id="bad", type="join_rate.daily", occurred_at="2026-11-24",
                                       payload=msgspec.Raw(b'{"missing":"fields"}'))]
    with pytest.raises(KeyError):
        warehouse.ingest_batch(wh, "s1", "E1", header, broken, NOW)
    assert wh.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert warehouse.cursor(wh, "s1") == (None, 0)


def test_a_puller_left_behind_on_an_old_epoch_never_moves_the_cursor_back(wh):
    warehouse.ingest_batch(wh, "s1", "E1", *_batch("E1", 1, 1, 2), NOW)
    assert warehouse.note_epoch(wh, "s1", "E2", 2, NOW) is True  # the store was restored: a new epoch
    warehouse.ingest_batch(wh, "s1", "E2", *_batch("E2", 2, 3, 2), NOW)
    late = _batch("E1", 2, 3, 2)  # a second puller still on E1 delivers an old batch
    warehouse.ingest_batch(wh, "s1", "E1", *late, NOW)
    assert warehouse.cursor(wh, "s1") == ("E2", 2)
    assert warehouse.note_epoch(wh, "s1", "E1", 1, NOW) is False and warehouse.cursor(wh, "s1") == ("E2", 2)
