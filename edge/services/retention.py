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
from ..store import retention as repo
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
    oldest = repo.oldest_event_at(conn)
    if oldest is not None:  # events from then on may not be acknowledged yet: keep their sales
        keep_after = min(keep_after, parse_iso(oldest) - timedelta(days=1))
    day: date = business_day(keep_after, config.tz, config.day_start)
    return Horizon(before_day=day.isoformat(), voided_before=iso(keep_after))


def prune_sales(conn: sqlite3.Connection, h: Horizon, limit: int = STEP_SALES) -> int:
    """Delete up to `limit` sales past the horizon, with what hangs off them; return how many."""
    return repo.delete_sales(conn, h.before_day, h.voided_before, limit)


def vacuum_step(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> int:
    return repo.vacuum_step(conn, pages)


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


def preview(path: Path | str, now: datetime | None = None) -> dict:
    """What retention would free in the store file at `path` (read only): sales, lines, about how many bytes."""
    from ..domain.clock import system_clock

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        config = meta.load_config(conn)
        h = horizon(conn, config, now or system_clock())
        found = repo.sizes(conn, h.before_day if h else None, h.voided_before if h else None)
    finally:
        conn.close()
    return Preview(config.retention_days, h.before_day if h else None, found.sales, found.lines, found.bytes,
                   found.free_bytes, found.auto_vacuum).as_dict()


async def set_days(store: StoreRuntime, days: int) -> StoreConfig:
    """Keep sales `days` days (0: every sale); returns the store's config as saved."""

    def command(conn: sqlite3.Connection) -> StoreConfig:
        import msgspec

        config = msgspec.convert(msgspec.to_builtins(meta.load_config(conn)) | {"retention_days": days}, StoreConfig)
        meta.save_config(conn, config)
        return config

    store.config = await store.writer.run(command)
    return store.config
