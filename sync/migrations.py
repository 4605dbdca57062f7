"""The sync plugin's tables in the store database: its own numbered sequence, applied after the edge's.

    sync_batches    sealed, immutable batches: the stored body is what every pull returns
    sync_join_rate  the last join_rate.daily revision emitted per business day, to emit only changes
    sync_config     bundles applied (version, sha256, when): the highest is the store's config version

Recorded under `store-edge-sync`, as older code recorded them. The member directory's
tables, which this set's first step also made then, are the edge's now (edge.store.migrations, 8).
"""

import sqlite_utils

from edge.store.migrations import MigrationSequence

SYNC_MIGRATIONS = MigrationSequence("store-edge-sync")


@SYNC_MIGRATIONS(1)
def m001_sync(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE sync_batches (
        batch_seq INTEGER PRIMARY KEY,
        epoch_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        event_count INTEGER NOT NULL CHECK (event_count > 0),
        sha256 TEXT NOT NULL,
        signature TEXT NOT NULL,
        body_gz BLOB NOT NULL,          -- gzip (mtime 0) of the JSON-lines body: same bytes on every pull
        oldest_at TEXT NOT NULL,        -- occurred_at of the batch's oldest event, for HQ's lag figure
        sealed_at TEXT NOT NULL,
        acked_at TEXT
    );
    CREATE INDEX sync_batches_unacked ON sync_batches(batch_seq) WHERE acked_at IS NULL;
    CREATE TABLE sync_join_rate (
        business_day TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        digest TEXT NOT NULL
    );
    CREATE TABLE sync_config (
        version INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    """)


@SYNC_MIGRATIONS(2)
def m002_voided_sales_index(db: sqlite_utils.Database) -> None:
    """Which days had a sale voided since the last seal, without reading the outbox's payloads; only
    voided sales enter this index, so a sale's insert does not pay for it."""
    db.execute("CREATE INDEX sales_voided_at ON sales(voided_at) WHERE voided_at IS NOT NULL")
