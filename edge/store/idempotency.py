"""Stored first answers for POSTs that take an Idempotency-Key header."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso


def find(conn: sqlite3.Connection, route: str, key: str) -> tuple[str, int, bytes] | None:
    row = conn.execute("SELECT request_hash, status, response FROM idempotency WHERE route = ? AND key = ?",
                       (route, key)).fetchone()
    return None if row is None else (row[0], row[1], bytes(row[2]))


def remember(conn: sqlite3.Connection, route: str, key: str, request_hash: str, status: int, response: bytes,
             now: datetime) -> None:
    """Keep the first answer; a second writer of the same key keeps the first (ON CONFLICT DO NOTHING)."""
    conn.execute("INSERT INTO idempotency (key, route, request_hash, status, response, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route, key) DO NOTHING",
                 (key, route, request_hash, status, response, iso(now)))
