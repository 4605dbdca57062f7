"""The outbox: every change HQ must learn about appends here, inside the change's own transaction."""

import sqlite3
from datetime import datetime
from typing import Any

import msgspec

from ..domain.clock import iso
from ..domain.ids import uuid7

_encode = msgspec.json.Encoder().encode


def append_event(conn: sqlite3.Connection, type_: str, occurred_at: datetime, payload: Any) -> str:
    """Append one event; return its event id. Call only inside the writer's transaction."""
    event_id = uuid7()
    conn.execute(
        "INSERT INTO outbox (event_id, type, occurred_at, payload) VALUES (?, ?, ?, ?)",
        (event_id, type_, iso(occurred_at), _encode(payload)),
    )
    return event_id


def outbox_depth(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
