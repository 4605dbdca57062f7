"""The outbox: every change HQ must learn about appends here, inside the change's own transaction."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from ..domain.clock import iso
from ..domain.events import Event, encode_payload
from ..domain.ids import uuid7

_INSERT = "INSERT INTO outbox (event_id, type, occurred_at, payload) VALUES (?, ?, ?, ?)"
# Events waiting inside `batched`: the running command's own state, on its thread (each store's
# writer has its own), with the connection they belong to.
_batch = threading.local()


def append_event(conn: sqlite3.Connection, event: Event, occurred_at: datetime) -> str:
    """Append one event (edge.domain.events); return its event id. Call only inside the writer's transaction."""
    event_id = uuid7()
    row = (event_id, event.TYPE, iso(occurred_at), encode_payload(event))
    held = getattr(_batch, "held", None)
    if held is not None and held[0] is conn:
        held[1].append(row)
    else:
        conn.execute(_INSERT, row)
    return event_id


@contextmanager
def batched(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold the events appended inside and write them, in order, with one statement at the end.

    For commands that append several events and do not read the outbox meanwhile (a sale appends
    up to four: each statement saved is one less the lanes wait on in the writer). Nothing is
    written if the block raises.
    """
    outer = getattr(_batch, "held", None)
    if outer is not None and outer[0] is conn:  # already batching: the outer block writes them
        yield
        return
    rows: list[tuple] = []
    _batch.held = (conn, rows)
    try:
        yield
    finally:
        _batch.held = outer
    if rows:
        conn.executemany(_INSERT, rows)


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest event's position in the outbox (0: none yet)."""
    return conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]


def outbox_depth(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def count_after(conn: sqlite3.Connection, seq: int, at_most: int | None = None) -> int:
    """Events after `seq` (the unsealed ones), counting no further than `at_most` when given: the
    sealer only asks whether a full batch waits, and counting a rush's whole backlog is slow."""
    if at_most is None:
        return conn.execute("SELECT count(*) FROM outbox WHERE seq > ?", (seq,)).fetchone()[0]
    return conn.execute("SELECT count(*) FROM (SELECT 1 FROM outbox WHERE seq > ? LIMIT ?)",
                        (seq, at_most)).fetchone()[0]


def occurred_at_after(conn: sqlite3.Connection, seq: int) -> str | None:
    """When the first event after `seq` occurred: the oldest one not yet sealed."""
    row = conn.execute("SELECT occurred_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1", (seq,)).fetchone()
    return None if row is None else row[0]
