"""HQ's warehouse, an SQLite file: an inbox keyed by (store id, event id), batches, cursors, derived tables.

A batch's events, its batch row and the store's cursor commit in one `BEGIN IMMEDIATE`
transaction, so an interruption anywhere leaves either all of a batch or none of it, and a batch
pulled twice (two pullers, a retry after a lost ack) inserts nothing new.
"""

import sqlite3
from datetime import datetime
from pathlib import Path

import msgspec

from edge.domain.clock import iso

from .. import sealed
from ..wire import BatchHeader
from . import identity

SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    epoch_id TEXT,
    through_batch_seq INTEGER NOT NULL DEFAULT 0,   -- the cursor: every batch up to here is ingested
    acked_through INTEGER NOT NULL DEFAULT 0,       -- what the store last confirmed we acknowledged
    last_batch_seq INTEGER NOT NULL DEFAULT 0,      -- the store's newest batch when we last listed
    oldest_unpulled_at TEXT,
    last_attempt_at TEXT, last_ok_at TEXT, last_error TEXT, last_error_at TEXT,
    config_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS epochs (
    store_id TEXT NOT NULL, epoch_id TEXT NOT NULL, first_seen_at TEXT NOT NULL, first_batch_seq INTEGER NOT NULL,
    PRIMARY KEY (store_id, epoch_id)
);
CREATE TABLE IF NOT EXISTS batches (
    store_id TEXT NOT NULL, epoch_id TEXT NOT NULL, batch_seq INTEGER NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, event_count INTEGER NOT NULL,
    new_events INTEGER NOT NULL, sha256 TEXT NOT NULL, ingested_at TEXT NOT NULL,
    PRIMARY KEY (store_id, epoch_id, batch_seq)
);
CREATE TABLE IF NOT EXISTS events (
    store_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL,
    seq INTEGER NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (store_id, event_id)
);
CREATE TABLE IF NOT EXISTS join_rate_daily (
    store_id TEXT NOT NULL, business_day TEXT NOT NULL, revision INTEGER NOT NULL,
    transactions INTEGER NOT NULL, nonmember_transactions INTEGER NOT NULL, joins INTEGER NOT NULL,
    joins_by_source TEXT NOT NULL, join_rate_bps INTEGER NOT NULL,
    PRIMARY KEY (store_id, business_day)
);
CREATE TABLE IF NOT EXISTS hq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Only these event types feed derived tables; the rest are stored in the inbox and nothing more.
DERIVED = {"join_rate.daily", "member.joined", "payment_identity.linked", "member.erased"}


class Event(msgspec.Struct, frozen=True):
    seq: int
    event_id: str
    type: str
    occurred_at: str
    payload: msgspec.Raw


_decode_lines = msgspec.json.Decoder(Event)
_decode_any = msgspec.json.Decoder()


def decode_events(json_lines: bytes) -> list[Event]:
    return [_decode_lines.decode(line) for line in json_lines.splitlines() if line]


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (and create) the warehouse. NORMAL sync in WAL: a power cut loses at most the last
    commits, which are re-pulled because the store only prunes what HQ acknowledged."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA secure_delete = ON")  # an erasure's removed bytes are zeroed, not left in free pages
    conn.executescript(SCHEMA)
    identity.create_tables(conn)
    return conn


def cursor(conn: sqlite3.Connection, store_id: str) -> tuple[str | None, int]:
    row = conn.execute("SELECT epoch_id, through_batch_seq FROM stores WHERE store_id = ?", (store_id,)).fetchone()
    return (row[0], row[1]) if row else (None, 0)


def note_epoch(conn: sqlite3.Connection, store_id: str, epoch_id: str, first_batch_seq: int, now: datetime) -> bool:
    """Record the store's current epoch, moving the cursor to it when it is new; True when it replaced
    an earlier epoch (the store was restored from a backup)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        had = conn.execute("SELECT epoch_id FROM stores WHERE store_id = ?", (store_id,)).fetchone()
        seen = conn.execute("SELECT 1 FROM epochs WHERE store_id = ? AND epoch_id = ?", (store_id, epoch_id)).fetchone()
        if not seen:
            conn.execute("INSERT INTO epochs (store_id, epoch_id, first_seen_at, first_batch_seq) VALUES (?, ?, ?, ?)",
                         (store_id, epoch_id, iso(now), first_batch_seq))
            conn.execute("INSERT INTO stores (store_id, epoch_id, through_batch_seq) VALUES (?, ?, ?) "
                         "ON CONFLICT (store_id) DO UPDATE SET epoch_id = excluded.epoch_id, "
                         "through_batch_seq = excluded.through_batch_seq",
                         (store_id, epoch_id, first_batch_seq - 1))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return not seen and had is not None and had[0] is not None


def ingest_batch(conn: sqlite3.Connection, store_id: str, cursor_epoch: str, header: BatchHeader,
                 events: list[Event], now: datetime, keys: list[tuple[str, bytes]] | None = None) -> int:
    """Store a verified batch's events, the data keys sent with it, the batch and the cursor in one
    transaction; return new events."""
    erasing = False
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT epoch_id, through_batch_seq FROM stores WHERE store_id = ?", (store_id,)).fetchone()
        if row is not None and row[0] == cursor_epoch and row[1] >= header.batch_seq:
            conn.execute("COMMIT")  # another puller got here first: nothing to do
            return 0
        # a puller still on an epoch another puller already left stores the events (the inbox
        # dedupes them) but never moves the cursor back
        moves_cursor = row is None or row[0] is None or row[0] == cursor_epoch
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO events (store_id, event_id, type, occurred_at, seq, payload) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         [(store_id, e.event_id, e.type, e.occurred_at, e.seq, bytes(e.payload).decode())
                          for e in events])
        new = conn.total_changes - before
        if keys:
            conn.executemany("INSERT OR IGNORE INTO data_keys (kid, store_id, key) VALUES (?, ?, ?)",
                             [(kid, store_id, key) for kid, key in keys])
        conn.execute("INSERT OR IGNORE INTO batches (store_id, epoch_id, batch_seq, first_seq, last_seq, event_count, "
                     "new_events, sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (store_id, header.epoch_id, header.batch_seq, header.first_seq, header.last_seq, header.count,
                      new, header.sha256, iso(now)))
        for e in events:
            if e.type in DERIVED:
                _derive(conn, store_id, e)
                erasing = erasing or e.type == "member.erased"
        if moves_cursor:
            conn.execute("INSERT OR IGNORE INTO epochs (store_id, epoch_id, first_seen_at, first_batch_seq) "
                         "VALUES (?, ?, ?, ?)", (store_id, cursor_epoch, iso(now), header.batch_seq))
            conn.execute("INSERT INTO stores (store_id, epoch_id, through_batch_seq) VALUES (?, ?, ?) "
                         "ON CONFLICT (store_id) DO UPDATE SET epoch_id = excluded.epoch_id, "
                         "through_batch_seq = excluded.through_batch_seq",
                         (store_id, cursor_epoch, header.batch_seq))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if erasing:
        settle(conn)
    return new


def settle(conn: sqlite3.Connection) -> None:
    """After an erasure: checkpoint and truncate the WAL, so the erased rows' old versions are in no file."""
    for _ in range(3):
        if not conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
            return


def key_for(conn: sqlite3.Connection):  # noqa: ANN201 - Callable[[str], bytes | None]
    def find(kid: str) -> bytes | None:
        row = conn.execute("SELECT key FROM data_keys WHERE kid = ?", (kid,)).fetchone()
        return bytes(row[0]) if row else None

    return find


def _derive(conn: sqlite3.Connection, store_id: str, event: Event) -> None:
    """Derived tables, each idempotent: a batch seen twice leaves them as once."""
    p = _decode_any.decode(event.payload)
    if event.type == "join_rate.daily":
        conn.execute(
            "INSERT INTO join_rate_daily (store_id, business_day, revision, transactions, nonmember_transactions, "
            "joins, joins_by_source, join_rate_bps) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (store_id, business_day) DO UPDATE SET revision = excluded.revision, "
            "transactions = excluded.transactions, nonmember_transactions = excluded.nonmember_transactions, "
            "joins = excluded.joins, joins_by_source = excluded.joins_by_source, "
            "join_rate_bps = excluded.join_rate_bps WHERE excluded.revision > join_rate_daily.revision",
            (store_id, p["business_day"], p["revision"], p["transactions"], p["nonmember_transactions"], p["joins"],
             msgspec.json.encode(p.get("joins_by_source", {})).decode(), p["join_rate_bps"]))
    elif event.type == "member.joined":
        personal = sealed.open_sealed(p.get("personal"), key_for(conn)) or {}
        identity.member_joined(conn, store_id, p["member_id"], personal.get("phone_hash") or p.get("phone_hash"),
                               p["joined_at"])
    elif event.type == "payment_identity.linked":
        personal = sealed.open_sealed(p.get("personal"), key_for(conn)) or {}
        payer = personal.get("payer_hash") or p.get("payer_hash")
        if payer:  # None: the member was erased before HQ pulled the link
            identity.payer_linked(conn, p["member_id"], payer, event.occurred_at)
    elif event.type == "member.erased":
        identity.member_erased(conn, store_id, p["member_id"], p.get("erased_at", event.occurred_at),
                               p.get("member_ids"), p.get("keys_destroyed"))


def record_pull(conn: sqlite3.Connection, store_id: str, now: datetime, *, error: str | None = None,
                last_batch_seq: int | None = None, acked_through: int | None = None,
                oldest_unpulled_at: str | None = None, config_version: int | None = None) -> None:
    """The outcome of one pull of one store, for `hq status` (and the config version it reported)."""
    conn.execute("INSERT INTO stores (store_id) VALUES (?) ON CONFLICT (store_id) DO NOTHING", (store_id,))
    if config_version is not None:  # a store that fetched its bundle itself tells HQ here
        conn.execute("UPDATE stores SET config_version = ? WHERE store_id = ?", (config_version, store_id))
    if error is None:
        conn.execute("UPDATE stores SET last_attempt_at = ?, last_ok_at = ?, last_error = NULL, "
                     "last_batch_seq = coalesce(?, last_batch_seq), acked_through = coalesce(?, acked_through), "
                     "oldest_unpulled_at = ? WHERE store_id = ?",
                     (iso(now), iso(now), last_batch_seq, acked_through, oldest_unpulled_at, store_id))
    else:
        conn.execute("UPDATE stores SET last_attempt_at = ?, last_error = ?, last_error_at = ?, "
                     "last_batch_seq = coalesce(?, last_batch_seq), "
                     "oldest_unpulled_at = coalesce(?, oldest_unpulled_at) WHERE store_id = ?",
                     (iso(now), error[:500], iso(now), last_batch_seq, oldest_unpulled_at, store_id))


def event_counts(conn: sqlite3.Connection, store_id: str) -> dict[str, int]:
    return dict(conn.execute("SELECT type, count(*) FROM events WHERE store_id = ? GROUP BY type", (store_id,)))
