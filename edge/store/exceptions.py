"""The manager's exceptions list: rows other parts of the store add, listed and resolved here."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.ids import uuid7

MAX_BODY = 16 * 1024  # a refused replay's body is kept this far: enough to re-key a sale by hand


class ExceptionRow(msgspec.Struct, frozen=True, kw_only=True):
    exception_id: str
    kind: str
    status: str
    created_at: str
    reason: str
    sale_id: str | None = None
    lane_id: str | None = None
    business_day: str | None = None
    edge_total_fen: int | None = None
    charged_fen: int | None = None
    difference_fen: int | None = None
    sku: str | None = None
    on_hand_after: int | None = None
    body: bytes | None = None
    error: str | None = None
    resolved_at: str | None = None
    resolved_note: str | None = None


FIELDS = tuple(ExceptionRow.__struct_fields__)
_SELECT = f"SELECT {', '.join(FIELDS)} FROM store_exceptions"


def _row(r: tuple) -> ExceptionRow:
    values = dict(zip(FIELDS, r, strict=True))
    if values["body"] is not None:
        values["body"] = bytes(values["body"])
    return ExceptionRow(**values)


def add(conn: sqlite3.Connection, kind: str, reason: str, now: datetime, **fields: object) -> str | None:
    """Add an open exception of any kind; return its id (None when one with the same `dedupe_key` is
    kept already). `fields` are ExceptionRow's optional columns, and `dedupe_key`."""
    exception_id = str(fields.pop("exception_id", None) or uuid7())
    body = fields.get("body")
    if isinstance(body, bytes | bytearray) and len(body) > MAX_BODY:
        fields["body"] = bytes(body[:MAX_BODY])
    columns = ["exception_id", "kind", "status", "created_at", "reason", *fields]
    cur = conn.execute(f"INSERT INTO store_exceptions ({', '.join(columns)}) VALUES "
                       f"({', '.join('?' for _ in columns)}) ON CONFLICT DO NOTHING",
                       (exception_id, kind, "open", iso(now), reason, *fields.values()))
    return exception_id if cur.rowcount == 1 else None


def listing(conn: sqlite3.Connection, kind: str | None, status: str | None, limit: int,
            before: str | None = None) -> list[ExceptionRow]:
    """Newest first, optionally of one kind and status, before an exception id (ids sort by time)."""
    where, args = [], []
    if kind is not None:
        where.append("kind = ?")
        args.append(kind)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if before is not None:
        where.append("exception_id < ?")
        args.append(before)
    sql = _SELECT + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY exception_id DESC LIMIT ?"
    return [_row(r) for r in conn.execute(sql, (*args, limit))]


def open_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM store_exceptions WHERE status = 'open'").fetchone()[0]


def get(conn: sqlite3.Connection, exception_id: str) -> ExceptionRow | None:
    r = conn.execute(f"{_SELECT} WHERE exception_id = ?", (exception_id,)).fetchone()
    return None if r is None else _row(r)


def of_sale(conn: sqlite3.Connection, sale_id: str) -> list[ExceptionRow]:
    return [_row(r) for r in conn.execute(f"{_SELECT} WHERE sale_id = ? ORDER BY exception_id", (sale_id,))]


def resolve(conn: sqlite3.Connection, exception_id: str, note: str, now: datetime) -> bool:
    """Resolve an open exception; False when it was resolved already (the first note stays)."""
    return conn.execute("UPDATE store_exceptions SET status = 'resolved', resolved_at = ?, resolved_note = ? "
                        "WHERE exception_id = ? AND status = 'open'", (iso(now), note, exception_id)).rowcount == 1
