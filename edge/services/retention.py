"""Retention: a store's old sales go once HQ has them, in steps too small for a lane to notice.

A sale (with its lines, the campaign uses it counted, its finished print jobs, its settled held
points and its resolved exceptions) is deleted when its business day is more than `retention_days` (store config, default 400)
behind today and HQ has acknowledged its events. Acknowledged is read from the outbox alone: an
event leaves the outbox only after HQ acknowledged it (DESIGN invariant 5), so every sale older than
the oldest event still there, and voided (if at all) before it, has been acknowledged. A store
whose HQ never pulls keeps every sale, and a sale with an open exception stays until it is resolved.

What stays exact: members, their points ledger and balances, consents, payment links and coupons
are never touched here; the join rate's running counts (per day, and per day, lane, cashier and
source) are kept by triggers that do not uncount a deleted sale, so the seal's `join_rate.daily`
and the manager's report answer the same for a forgotten day; caps count in `campaign_use_counts`,
which deleting a use does not change.

The freed pages go back to the file system by incremental vacuum (the store's `auto_vacuum` is
INCREMENTAL: new stores are made so, older ones are switched once at upgrade, `services/upgrade.py`).
"""

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ..config import StoreConfig
from ..domain.clock import iso, parse_iso
from ..domain.join_rate import business_day
from ..store import meta
from .runtime import StoreRuntime

log = logging.getLogger("store_edge.retention")
# Sales deleted per writer command: ~8 ms on a loaded 2-core box (200 took ~50 ms, with 2 KB of
# stored answer per sale and six indexes on sales), so a lane waits at most that long.
STEP_SALES = 50
VACUUM_PAGES = 128  # pages (512 KB) handed back to the file system per writer command: a few ms
PAUSE_SECONDS = 0.02  # between steps: the lanes' commands get the writer in between


@dataclass(frozen=True)
class Horizon:
    """What retention may delete now: sales of business days before `before_day`, voided (if at all)
    before `voided_before`."""

    before_day: str
    voided_before: str


def horizon(conn: sqlite3.Connection, config: StoreConfig, now: datetime) -> Horizon | None:
    """The retention horizon at `now`, or None when the store keeps every sale."""
    if config.retention_days == 0:
        return None
    keep_after = now - timedelta(days=config.retention_days)
    oldest = conn.execute("SELECT occurred_at FROM outbox ORDER BY seq LIMIT 1").fetchone()
    if oldest is not None:  # events from then on may not be acknowledged yet: keep their sales
        keep_after = min(keep_after, parse_iso(oldest[0]) - timedelta(days=1))
    day: date = business_day(keep_after, config.tz, config.day_start)
    return Horizon(before_day=day.isoformat(), voided_before=iso(keep_after))


# a sale with an open exception stays until the manager resolves it: they need the sale to do so
_PAST = ("business_day < ? AND (voided_at IS NULL OR voided_at < ?) AND NOT EXISTS "
         "(SELECT 1 FROM store_exceptions e WHERE e.sale_id = sales.sale_id AND e.status = 'open')")
_DUE = f"SELECT sale_id FROM sales WHERE {_PAST} ORDER BY business_day LIMIT ?"


def prune_sales(conn: sqlite3.Connection, h: Horizon, limit: int = STEP_SALES) -> int:
    """Delete up to `limit` sales past the horizon, with what hangs off them; return how many."""
    ids = [(r[0],) for r in conn.execute(_DUE, (h.before_day, h.voided_before, limit))]
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


def vacuum_step(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> int:
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


async def prune_step(store: StoreRuntime) -> int:
    """One writer command of retention: the sales it deleted."""

    def command(conn: sqlite3.Connection) -> int:
        # the config as stored now: `store-edge retention --days` applies without a restart
        h = horizon(conn, meta.load_config(conn), store.clock())
        return 0 if h is None else prune_sales(conn, h)

    return await store.writer.run(command)


async def run(store: StoreRuntime, pause: float = PAUSE_SECONDS) -> dict[str, int]:
    """Everything retention has to do now, a step at a time: sales deleted, then pages freed."""
    pruned = 0
    while n := await prune_step(store):
        pruned += n
        await asyncio.sleep(pause)
    freed = 0
    while step := await store.writer.run(vacuum_step):
        freed += step
        await asyncio.sleep(pause)
    if pruned:
        log.info("retention: %d old sales deleted, %d pages freed", pruned, freed)
    return {"sales_pruned": pruned, "pages_freed": freed}


@dataclass(frozen=True)
class Preview:
    """What retention would delete now, for `store-edge doctor`."""

    retention_days: int
    before_day: str | None
    sales: int
    lines: int
    bytes: int  # about: the deleted rows' share of their tables and indexes
    free_bytes: int  # free pages already in the file
    auto_vacuum: str

    def as_dict(self) -> dict:
        return {"retention_days": self.retention_days, "before_day": self.before_day, "sales": self.sales,
                "lines": self.lines, "bytes": self.bytes, "free_bytes": self.free_bytes,
                "auto_vacuum": self.auto_vacuum}


def _pages_of(conn: sqlite3.Connection, names: list[str]) -> int:
    try:
        marks = ", ".join("?" for _ in names)
        return conn.execute(f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})",
                            names).fetchone()[0]
    except sqlite3.OperationalError:  # SQLite built without dbstat: no estimate
        return 0


def preview(path: Path | str, now: datetime | None = None) -> dict:
    """What retention would free in the store file at `path` (read only): sales, lines, about how many bytes."""
    from ..domain.clock import system_clock

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        config = meta.load_config(conn)
        h = horizon(conn, config, now or system_clock())
        total = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
        sales = 0 if h is None else conn.execute(
            f"SELECT count(*) FROM sales WHERE {_PAST}",
            (h.before_day, h.voided_before)).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0] * sales // total if total else 0
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name IN "
                                            "('sales', 'sale_lines', 'campaign_uses')")]
        size = _pages_of(conn, names) * sales // total if total else 0
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page
        mode = {0: "none", 1: "full", 2: "incremental"}[conn.execute("PRAGMA auto_vacuum").fetchone()[0]]
    finally:
        conn.close()
    return Preview(config.retention_days, h.before_day if h else None, sales, lines, size, free, mode).as_dict()


async def set_days(store: StoreRuntime, days: int) -> StoreConfig:
    """Keep sales `days` days (0: every sale); returns the store's config as saved."""

    def command(conn: sqlite3.Connection) -> StoreConfig:
        import msgspec

        config = msgspec.convert(msgspec.to_builtins(meta.load_config(conn)) | {"retention_days": days}, StoreConfig)
        meta.save_config(conn, config)
        return config

    store.config = await store.writer.run(command)
    return store.config
