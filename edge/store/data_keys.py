"""Per-person data keys: one random key per member and per payer hash, kept only here (and at HQ).

Personal fields that must travel inside immutable places (the outbox, sealed batches, HQ's raw
events) are sealed with their person's key; erasure deletes the key, so every copy of those fields,
wherever it sits, becomes unreadable (crypto-shredding). HQ receives a key beside the batch listing,
which is answered fresh on every pull, never inside a sealed batch.
"""

import secrets
import sqlite3
from datetime import datetime

from ..domain.clock import iso
from ..domain.ids import uuid7


def _key_for(conn: sqlite3.Connection, column: str, value: str, now: datetime) -> tuple[str, bytes]:
    row = conn.execute(f"SELECT kid, key FROM data_keys WHERE {column} = ?", (value,)).fetchone()
    if row is not None:
        return row[0], bytes(row[1])
    kid, key = uuid7(), secrets.token_bytes(32)
    conn.execute(f"INSERT INTO data_keys (kid, {column}, key, created_at) VALUES (?, ?, ?, ?)",
                 (kid, value, key, iso(now)))
    return kid, key


def member_key(conn: sqlite3.Connection, member_id: str, now: datetime) -> tuple[str, bytes]:
    """(key id, key) of a member, made on first use, inside the caller's writer transaction."""
    return _key_for(conn, "member_id", member_id, now)


def payer_key(conn: sqlite3.Connection, payer_hash: str, now: datetime) -> tuple[str, bytes]:
    """(key id, key) of a payer hash: a payer's sales are theirs whether or not a member was named."""
    return _key_for(conn, "payer_hash", payer_hash, now)


def destroy(conn: sqlite3.Connection, member_ids: list[str], payer_hashes: list[str]) -> list[str]:
    """Delete the keys of these members and payers; return the ids of the keys destroyed."""
    kids: list[str] = []
    for column, values in (("member_id", member_ids), ("payer_hash", payer_hashes)):
        for value in values:
            kids += [r[0] for r in conn.execute(f"DELETE FROM data_keys WHERE {column} = ? RETURNING kid", (value,))]
    return sorted(kids)


def mark_sent(conn: sqlite3.Connection, batch_seq: int) -> None:
    """Keys made since the last seal travel with this batch: their events are in it or later ones."""
    conn.execute("UPDATE data_keys SET batch_seq = ? WHERE batch_seq IS NULL", (batch_seq,))


def keys_of_batches(conn: sqlite3.Connection, first: int, last: int) -> list[tuple[str, bytes, int]]:
    """(key id, key, batch seq) of the keys first sent with batches first..last that still exist."""
    return [(r[0], bytes(r[1]), r[2]) for r in conn.execute(
        "SELECT kid, key, batch_seq FROM data_keys WHERE batch_seq BETWEEN ? AND ? ORDER BY batch_seq, kid",
        (first, last))]
