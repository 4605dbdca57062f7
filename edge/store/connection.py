"""Opening the store database: WAL, synchronous=FULL, a busy timeout, on every connection."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 5_000
DB_NAME = "store.db"  # one file is the whole store: <data dir>/store.db
# The name of a SQLite VFS to open the store through instead of the default: the reliability tests
# register one that loses unsynced writes at a simulated power cut. Unset in production.
VFS_ENV = "STORE_EDGE_SQLITE_VFS"


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with the store's pragmas; transactions are explicit (autocommit mode).

    `isolation_level=None` stops the sqlite3 module from opening transactions on its own, so
    every write transaction is the `BEGIN IMMEDIATE` the writer issues.
    """
    vfs = os.environ.get(VFS_ENV)
    target, uri = (f"{Path(path).absolute().as_uri()}?vfs={vfs}", True) if vfs else (str(path), False)
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000,
                           uri=uri)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        # deleted and overwritten content is zeroed, so an erased phone stays in no free page
        conn.execute("PRAGMA secure_delete = ON")
        # FULL: a sale answered 2xx survives a power cut; the writer groups commits for speed
        conn.execute("PRAGMA synchronous = FULL")
    return conn


def open_database(path: Path | str) -> sqlite_utils.Database:
    """A sqlite-utils Database over a store connection (for migrations, setup and scripts)."""
    return sqlite_utils.Database(connect(path))


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction outside the writer (CLI, setup): BEGIN IMMEDIATE takes the write lock up
    front, so the busy timeout applies; a deferred BEGIN could fail later on the lock upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
