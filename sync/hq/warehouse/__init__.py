"""HQ's warehouse: an inbox keyed by (store id, event id), batches, cursors, leases, derived tables.

Two engines behind one interface (`base.Warehouse`): an SQLite file, the embedded default for a
pilot, and PostgreSQL for a chain. Which one is decided by the target's form: a
`postgresql://` (or `postgres://`) URL is a database, anything without a scheme is a file path,
and anything else with a scheme is refused, so a mistyped URL never quietly becomes a file.

A batch's events, its batch row and the store's cursor commit in one transaction, so an
interruption anywhere leaves either all of a batch or none of it, and a batch pulled twice (two
pullers, a retry after a lost ack) inserts nothing new.
"""

import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ...wire import BatchHeader
from .base import DERIVED, TABLES, Event, LeaseLost, Warehouse, decode_events
from .sqlite import SCHEMA, SqliteWarehouse

__all__ = ["DERIVED", "SCHEMA", "TABLES", "Event", "LeaseLost", "Warehouse", "connect", "decode_events",
           "open_warehouse", "resolve_target"]

ENV_DSN = "STORE_EDGE_HQ_DSN"
DEFAULT_FILE = "./hq/warehouse.db"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


class BadTarget(ValueError):
    """Neither a file path nor a postgresql:// URL."""


def is_postgres(target: str) -> bool:
    m = _SCHEME.match(target)
    if not m:
        return False
    if m.group(1).lower() in ("postgresql", "postgres"):
        if not target[m.end():].startswith("//"):
            raise BadTarget(f"{m.group(1)}: needs a URL like postgresql://user@host/db, not {target[:40]!r}")
        return True
    raise BadTarget(f"unknown warehouse scheme {m.group(1)!r}: give a file path or a postgresql:// URL "
                    "(a file whose name has a colon: write it as ./name)")


def resolve_target(given: str | None) -> str:
    """--warehouse if given, else $STORE_EDGE_HQ_DSN, else the default file."""
    return given or os.environ.get(ENV_DSN) or DEFAULT_FILE


def open_warehouse(target: str | Path) -> Warehouse:
    text = str(target)
    if isinstance(target, str) and is_postgres(text):
        from .postgres import PostgresWarehouse  # psycopg is needed only by a chain on PostgreSQL

        return PostgresWarehouse(text)
    Path(text).parent.mkdir(parents=True, exist_ok=True)
    return SqliteWarehouse(text)


connect = open_warehouse


# Module-level spellings of the interface's operations (what the SQLite-only warehouse offered).

def cursor(wh: Warehouse, store_id: str) -> tuple[str | None, int]:
    return wh.cursor(store_id)


def note_epoch(wh: Warehouse, store_id: str, epoch_id: str, first_batch_seq: int, now: datetime) -> bool:
    return wh.note_epoch(store_id, epoch_id, first_batch_seq, now)


def ingest_batch(wh: Warehouse, store_id: str, cursor_epoch: str, header: BatchHeader, events: list[Event],
                 now: datetime, holder: str | None = None, keys: Sequence[tuple[str, bytes]] = ()) -> int:
    return wh.ingest_batch(store_id, cursor_epoch, header, events, now, holder, keys)


def record_pull(wh: Warehouse, store_id: str, now: datetime, **kw) -> None:
    wh.record_pull(store_id, now, **kw)


def event_counts(wh: Warehouse, store_id: str) -> dict[str, int]:
    return wh.event_counts(store_id)
