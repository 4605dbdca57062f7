"""The embedded warehouse: one SQLite file (WAL), for a pilot or a small chain.

Every write transaction is `BEGIN IMMEDIATE`, so two pullers on one machine take turns on the
file; leases use the same table and SQL as on PostgreSQL, with the machine's clock.
"""

import csv
import gzip
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from ..days import iso
from .base import CLEAR_FIELDS, Event, Warehouse

SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    epoch_id TEXT,
    through_batch_seq INTEGER NOT NULL DEFAULT 0,   -- the cursor: every batch up to here is ingested
    acked_through INTEGER NOT NULL DEFAULT 0,       -- what the store last confirmed we acknowledged
    last_batch_seq INTEGER NOT NULL DEFAULT 0,      -- the store's newest batch when we last listed
    oldest_unpulled_at TEXT,
    last_attempt_at TEXT, last_ok_at TEXT, last_error TEXT, last_error_at TEXT,
    config_version INTEGER NOT NULL DEFAULT 0,
    event_count INTEGER NOT NULL DEFAULT 0,
    lease_holder TEXT, lease_expires_at TEXT, lease_taken_at TEXT, last_pulled_by TEXT, last_pulled_at TEXT
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
CREATE TABLE IF NOT EXISTS identities (
    member_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, phone_hash TEXT, joined_at TEXT NOT NULL,
    person_id TEXT NOT NULL, erased_at TEXT,
    dir_version INTEGER,               -- bundle version that first sent this member down (NULL: not yet)
    alias_version INTEGER DEFAULT 0   -- NULL: the person changed, the alias is still to be sent
);
CREATE INDEX IF NOT EXISTS identities_phone ON identities(phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS identities_person ON identities(person_id);
CREATE INDEX IF NOT EXISTS identities_unsent ON identities(member_id) WHERE dir_version IS NULL;
CREATE TABLE IF NOT EXISTS payer_links (
    payer_hash TEXT NOT NULL, member_id TEXT NOT NULL, linked_at TEXT NOT NULL,
    PRIMARY KEY (payer_hash, member_id)
);
CREATE TABLE IF NOT EXISTS merges (
    merge_id INTEGER PRIMARY KEY, survivor_id TEXT NOT NULL, merged_id TEXT NOT NULL,
    reason TEXT NOT NULL, moved TEXT NOT NULL, merged_at TEXT NOT NULL, reversed_at TEXT
);
CREATE TABLE IF NOT EXISTS merge_blocks (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE IF NOT EXISTS erasures (
    member_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, phone_hash TEXT, erased_at TEXT NOT NULL,
    published_version INTEGER,
    merged_ids TEXT NOT NULL DEFAULT '[]'   -- the other ids the tombstone names (JSON list)
);
-- personal data keys the stores sent beside their listings; erasure deletes them (crypto-shredding)
CREATE TABLE IF NOT EXISTS data_keys (kid TEXT PRIMARY KEY, store_id TEXT NOT NULL, key BLOB NOT NULL);
"""

# Columns added since the first warehouses were made: (table, column, definition, backfill or None).
ADDED_COLUMNS = [
    ("stores", "event_count", "INTEGER NOT NULL DEFAULT 0",
     "UPDATE stores SET event_count = (SELECT count(*) FROM events e WHERE e.store_id = stores.store_id)"),
    *(("stores", c, "TEXT", None) for c in ("lease_holder", "lease_expires_at", "lease_taken_at", "last_pulled_by",
                                               "last_pulled_at")),
    ("erasures", "merged_ids", "TEXT NOT NULL DEFAULT '[]'", None),
]

# Reports as views, so any tool that reads SQLite reads them (the same names and columns on PostgreSQL).
VIEWS = """
DROP VIEW IF EXISTS hq_join_rate;
CREATE VIEW hq_join_rate AS
    SELECT store_id, business_day, transactions, nonmember_transactions, joins, join_rate_bps, revision
    FROM join_rate_daily;
DROP VIEW IF EXISTS hq_join_rate_chain;
CREATE VIEW hq_join_rate_chain AS
    SELECT business_day, sum(transactions) AS transactions, sum(nonmember_transactions) AS nonmember_transactions,
           sum(joins) AS joins,
           CASE WHEN sum(nonmember_transactions) > 0
                THEN (sum(joins) * 10000 + sum(nonmember_transactions) / 2) / sum(nonmember_transactions)
                ELSE 0 END AS join_rate_bps
    FROM join_rate_daily GROUP BY business_day;
DROP VIEW IF EXISTS hq_store_lag;
CREATE VIEW hq_store_lag AS
    SELECT store_id, epoch_id, through_batch_seq, last_batch_seq,
           max(0, last_batch_seq - through_batch_seq) AS batches_behind, oldest_unpulled_at, last_ok_at,
           last_error, event_count AS events, lease_holder, lease_expires_at, last_pulled_by, last_pulled_at,
           config_version
    FROM stores;
DROP VIEW IF EXISTS hq_identity_merges;
CREATE VIEW hq_identity_merges AS
    SELECT merge_id, survivor_id, merged_id, reason, json_array_length(moved) AS members_moved, moved, merged_at,
           reversed_at
    FROM merges;
DROP VIEW IF EXISTS hq_member_segments;
CREATE VIEW hq_member_segments AS
    WITH orders AS (
        SELECT i.person_id, e.occurred_at FROM events e
        JOIN identities i ON i.member_id = json_extract(e.payload, '$.member_id')
        WHERE e.type = 'sale.completed' AND NOT EXISTS (
            SELECT 1 FROM events v WHERE v.store_id = e.store_id AND v.type = 'sale.voided'
            AND json_extract(v.payload, '$.sale_id') = json_extract(e.payload, '$.sale_id'))),
    per AS (
        SELECT person_id,
               sum(occurred_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days')) AS orders_30d,
               max(occurred_at) AS last_order_at
        FROM orders GROUP BY person_id)
    SELECT p.member_id AS person_id, p.store_id AS home_store_id, p.joined_at,
           coalesce(per.orders_30d, 0) AS orders_30d, per.last_order_at,
           CASE WHEN coalesce(per.orders_30d, 0) >= 4 THEN 'loyal'
                WHEN p.joined_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days') THEN 'new'
                WHEN per.last_order_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days') THEN 'active'
                WHEN per.last_order_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days') THEN 'at_risk'
                ELSE 'dormant' END AS segment
    FROM identities p LEFT JOIN per ON per.person_id = p.member_id
    WHERE p.person_id = p.member_id AND p.erased_at IS NULL;
DROP VIEW IF EXISTS hq_member_kpis;
CREATE VIEW hq_member_kpis AS
    SELECT home_store_id AS store_id, count(*) AS members,
           sum(segment = 'loyal') AS loyal, sum(segment = 'new') AS new, sum(segment = 'active') AS active,
           sum(segment = 'at_risk') AS at_risk, sum(segment = 'dormant') AS dormant
    FROM hq_member_segments GROUP BY home_store_id;
"""


class SqliteWarehouse(Warehouse):
    engine = "sqlite"

    def __init__(self, path: Path | str) -> None:
        """Open (and create) the warehouse. NORMAL sync in WAL: a power cut loses at most the last
        commits, which are re-pulled because the store only prunes what HQ acknowledged."""
        self.target = str(path)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA secure_delete = ON")  # an erasure's removed bytes are zeroed, not left in free pages
        self.conn.executescript(SCHEMA)
        self._add_columns()
        self._views()
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS puller_stores (store_id TEXT PRIMARY KEY)")

    def _add_columns(self) -> None:
        have = {(t, r[1]) for t in {c[0] for c in ADDED_COLUMNS}
                for r in self.conn.execute(f"PRAGMA table_info({t})")}
        missing = [c for c in ADDED_COLUMNS if (c[0], c[1]) not in have]
        if not missing:
            return
        with self.transaction():
            for table, column, definition, backfill in missing:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
                if backfill:
                    self.conn.execute(backfill)

    def _views(self) -> None:
        """(Re)make the report views when this code's differ from the file's (not on every open:
        dropping a view takes the write lock)."""
        version = hashlib.sha256(VIEWS.encode()).hexdigest()[:16]
        row = self.conn.execute("SELECT value FROM hq_meta WHERE key = 'views'").fetchone()
        if row and row[0] == version:
            return
        with self.transaction():
            for statement in VIEWS.split(";"):
                if statement.strip():
                    self.conn.execute(statement)
            self.conn.execute("INSERT INTO hq_meta (key, value) VALUES ('views', ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (version,))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.in_transaction:  # nested: the outer transaction decides
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def stamp(self, moment: datetime) -> str:
        return iso(moment)

    def any_of(self, column: str, values: Sequence[str]) -> tuple[str, Any]:
        return f"{column} IN (SELECT value FROM json_each(?))", msgspec.json.encode(list(values)).decode()

    def _insert_events(self, store_id: str, events: list[Event]) -> int:
        before = self.conn.total_changes
        self.conn.executemany("INSERT OR IGNORE INTO events (store_id, event_id, type, occurred_at, seq, payload) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              [(store_id, e.event_id, e.type, e.occurred_at, e.seq, bytes(e.payload).decode())
                               for e in events])
        return self.conn.total_changes - before

    def insert_identities(self, store_id: str, joins: list[tuple[str, str | None, str]]
                          ) -> tuple[set[str], dict[str, list[str]]]:
        phones = sorted({j[1] for j in joins if j[1]})
        known: dict[str, list[str]] = {}
        if phones:
            where, param = self.any_of("phone_hash", phones)
            for member_id, phone_hash in self.conn.execute(
                    f"SELECT member_id, phone_hash FROM identities WHERE {where} AND erased_at IS NULL", (param,)):
                known.setdefault(phone_hash, []).append(member_id)
        new = set()
        for member_id, phone_hash, joined_at in joins:
            cur = self.conn.execute("INSERT OR IGNORE INTO identities (member_id, store_id, phone_hash, joined_at, "
                                    "person_id) VALUES (?, ?, ?, ?, ?)",
                                    (member_id, store_id, phone_hash, joined_at, member_id))
            if cur.rowcount:
                new.add(member_id)
        return new, {ph: ms for ph, ms in known.items() if any(j[1] == ph and j[0] in new for j in joins)}

    def json_text(self, field: str) -> str:
        return f"json_extract(payload, '$.{field}')"

    def scrub_erased_events(self, member_ids: list[str]) -> None:
        where, param = self.any_of(self.json_text("member_id"), member_ids)
        fields = ", ".join(f"'$.{f}'" for f in CLEAR_FIELDS)
        self.conn.execute(f"UPDATE events SET payload = json_remove(payload, {fields}) WHERE {where}", (param,))
        self.conn.execute(f"UPDATE events SET payload = json_set(payload, '$.member_id', json('null')) "
                          f"WHERE type IN ('sale.completed', 'sale.voided') AND {where}", (param,))

    def settle(self) -> None:
        for _ in range(3):  # a reader holding an old snapshot delays it; the busy timeout waits for it
            if not self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                return

    def _load_puller_stores(self, store_ids: list[str]) -> None:
        self.conn.execute("DELETE FROM puller_stores")
        self.conn.executemany("INSERT OR IGNORE INTO puller_stores (store_id) VALUES (?)", [(s,) for s in store_ids])

    def _claim(self, holder: str, limit: int, now: datetime, since: datetime, ttl: timedelta,
               skip: list[str]) -> list[tuple[str, str | None]]:
        where, param = self.any_of("store_id", skip)
        rows = self.conn.execute(
            "SELECT store_id, lease_holder FROM stores WHERE store_id IN (SELECT store_id FROM puller_stores) "
            "AND (lease_holder IS NULL OR lease_expires_at < ?) AND (last_pulled_at IS NULL OR last_pulled_at < ?) "
            f"AND NOT {where} ORDER BY last_pulled_at NULLS FIRST, store_id LIMIT ?",
            (iso(now), iso(since), param, limit)).fetchall()
        self.conn.executemany("UPDATE stores SET lease_holder = ?, lease_expires_at = ?, lease_taken_at = ? "
                              "WHERE store_id = ?", [(holder, iso(now + ttl), iso(now), r[0]) for r in rows])
        return [(r[0], r[1]) for r in rows]

    def retention(self, keep_days: int, today: datetime, archive_dir: Path | None) -> list[tuple[str, int, str]]:
        """SQLite has no partitions: events of days before the cutoff (UTC) go to a gzip CSV, then away."""
        cutoff = (today - timedelta(days=keep_days)).date().isoformat()
        days = [r[0] for r in self.conn.execute("SELECT DISTINCT substr(occurred_at, 1, 10) AS d FROM events "
                                                "WHERE occurred_at < ? ORDER BY d", (cutoff,))]
        out = []
        for day in days:
            with self.transaction():
                rows = self.conn.execute("SELECT store_id, event_id, type, occurred_at, seq, payload FROM events "
                                         "WHERE substr(occurred_at, 1, 10) = ?", (day,)).fetchall()
                where = "deleted"
                if archive_dir is not None:
                    path = Path(archive_dir) / f"events_{day.replace('-', '')}.csv.gz"
                    with gzip.open(path, "wt", newline="") as f:
                        csv.writer(f).writerows(rows)
                    where = str(path)
                self.conn.execute("DELETE FROM events WHERE substr(occurred_at, 1, 10) = ?", (day,))
            out.append((day, len(rows), where))
        return out

    def copy_rows(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
