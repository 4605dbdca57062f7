"""Retention's rows: old sales and what hangs off them, deleted a few at a time; free pages handed back."""

import sqlite3
from dataclasses import dataclass

# Past the horizon: a business day before it, voided (if at all) before it, and no open exception
# (the manager needs the sale to resolve it).
_PAST = ("business_day < ? AND (voided_at IS NULL OR voided_at < ?) AND NOT EXISTS "
         "(SELECT 1 FROM store_exceptions e WHERE e.sale_id = sales.sale_id AND e.status = 'open')")
_DUE = f"SELECT sale_id FROM sales WHERE {_PAST} ORDER BY business_day LIMIT ?"


def oldest_event_at(conn: sqlite3.Connection) -> str | None:
    """When the oldest event still in the outbox occurred (events leave it once HQ acknowledged them)."""
    row = conn.execute("SELECT occurred_at FROM outbox ORDER BY seq LIMIT 1").fetchone()
    return row[0] if row else None


def delete_sales(conn: sqlite3.Connection, before_day: str, voided_before: str, limit: int) -> int:
    """Delete up to `limit` sales past the horizon, with their lines, the campaign uses they counted,
    their settled held points, finished print jobs and resolved exceptions; return how many."""
    ids = [(r[0],) for r in conn.execute(_DUE, (before_day, voided_before, limit))]
    if not ids:
        return 0
    conn.executemany("DELETE FROM sale_lines WHERE sale_id = ?", ids)
    conn.executemany("DELETE FROM campaign_uses WHERE sale_id = ?", ids)
    conn.executemany("DELETE FROM points_pending WHERE sale_id = ? AND status <> 'pending'", ids)
    conn.executemany("DELETE FROM print_jobs WHERE kind IN ('receipt', 'void') AND subject = ? "
                     "AND status IN ('done', 'resolved')", ids)
    conn.executemany("DELETE FROM store_exceptions WHERE sale_id = ? AND status = 'resolved'", ids)
    conn.executemany("DELETE FROM sales WHERE sale_id = ?", ids)
    return len(ids)


def vacuum_step(conn: sqlite3.Connection, pages: int) -> int:
    """Hand up to `pages` free pages back to the file system; return how many it handed back (none
    when the store is not in incremental mode: its free pages are reused, never returned)."""
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if not free or conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    # the sqlite3 module steps a statement once, and each step of incremental_vacuum frees one page:
    # `incremental_vacuum(N)` from Python frees one, whatever N says
    for _ in range(min(free, pages)):
        conn.execute("PRAGMA incremental_vacuum(1)")
    return free - conn.execute("PRAGMA freelist_count").fetchone()[0]


@dataclass(frozen=True)
class Sizes:
    """What the sales take and what retention would delete, about (shares of tables and indexes)."""

    sales: int  # due now
    lines: int
    bytes: int
    free_bytes: int
    auto_vacuum: str


def _pages_of(conn: sqlite3.Connection, names: list[str]) -> int:
    try:
        marks = ", ".join("?" for _ in names)
        return conn.execute(f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})",
                            names).fetchone()[0]
    except sqlite3.OperationalError:  # SQLite built without dbstat: no estimate
        return 0


def sizes(conn: sqlite3.Connection, before_day: str | None, voided_before: str | None) -> Sizes:
    """What deleting the sales past this horizon (None: none) would free, read only."""
    total = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    due = 0 if before_day is None else conn.execute(f"SELECT count(*) FROM sales WHERE {_PAST}",
                                                     (before_day, voided_before)).fetchone()[0]
    lines = conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0] * due // total if total else 0
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name IN "
                                        "('sales', 'sale_lines', 'campaign_uses')")]
    size = _pages_of(conn, names) * due // total if total else 0
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page
    mode = {0: "none", 1: "full", 2: "incremental"}[conn.execute("PRAGMA auto_vacuum").fetchone()[0]]
    return Sizes(due, lines, size, free, mode)
