"""API keys, stored as SHA-256 of the random token: a stolen database gives no usable key."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso


def insert_key(conn: sqlite3.Connection, key_id: str, role: str, key_hash: str, label: str, now: datetime) -> None:
    conn.execute("INSERT INTO api_keys (key_id, role, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)",
                 (key_id, role, key_hash, label, iso(now)))


def role_for_hash(conn: sqlite3.Connection, key_hash: str) -> str | None:
    found = live_key_for_hash(conn, key_hash)
    return None if found is None else found[1]


def live_key_for_hash(conn: sqlite3.Connection, key_hash: str) -> tuple[str, str] | None:
    """(key id, role) of the live key with this hash."""
    row = conn.execute("SELECT key_id, role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                       (key_hash,)).fetchone()
    return None if row is None else (row[0], row[1])


def is_live(conn: sqlite3.Connection, key_id: str) -> bool:
    return conn.execute("SELECT 1 FROM api_keys WHERE key_id = ? AND revoked_at IS NULL", (key_id,)).fetchone() is not None


def revoke(conn: sqlite3.Connection, key_id: str, now: datetime) -> tuple[str, str] | None:
    """Revoke a live key; return its (role, label), or None when no live key has that id."""
    row = conn.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL "
                       "RETURNING role, label", (iso(now), key_id)).fetchone()
    return None if row is None else (row[0], row[1])


def list_keys(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, str | None]]:
    return conn.execute("SELECT key_id, role, label, created_at, revoked_at FROM api_keys ORDER BY created_at").fetchall()
