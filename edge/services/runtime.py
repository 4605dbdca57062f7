"""One open store: its file, the writer, the readers, config, secrets, cached reference data, and the
state kept per store in memory (the planned offers, the join offers, the lanes' open checkouts). Two runtimes in one
process (tests, HQ simulations) share none of it."""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import StoreConfig
from ..domain.calendar import business_day, day_begins
from ..domain.clock import Clock, system_clock
from ..domain.models import MemberDayRule, Sku, Tier
from ..domain.points import PointsPolicy
from ..plugins import EdgePlugin, installed, migration_sequences
from ..schemas import JoinOffersIn
from ..store import campaigns as campaign_repo
from ..store import catalog as catalog_repo
from ..store import locks as locks_repo
from ..store import meta
from ..store import points as points_repo
from ..store.connection import DB_NAME, immediate, open_database
from ..store.reader import Reader
from ..store.writer import Writer, mark_changed
from .checkout_board import CheckoutBoard
from .lock_book import LockBook
from .offer_plan import OfferPlan
from .upgrade import bring_up_to_date

__all__ = ["DB_NAME", "RECHECK_SECONDS", "Reference", "StoreRuntime", "bump_reference"]
RECHECK_SECONDS = 1.0  # how stale reference data changed by another process may be


@dataclass(frozen=True)
class Reference:
    """Catalog, tiers and rules: read on nearly every request, changed rarely, so cached."""

    version: str
    catalog: dict[str, Sku]
    tiers: dict[str, Tier]
    member_days: list[MemberDayRule]
    points_policy: PointsPolicy


class StoreRuntime:
    """Opens a store's data dir; `close()` stops its writer. Everything else reaches data through it."""

    def __init__(self, data_dir: Path | str, clock: Clock = system_clock,
                 plugins: Sequence[EdgePlugin] | None = None, backup_dirs: Sequence[Path | str] = ()) -> None:
        self.data_dir = Path(data_dir)
        self._backup_dirs = [Path(d) for d in backup_dirs if d]  # the service's configured ones
        self.path = self.data_dir / DB_NAME
        if not self.path.exists():
            raise FileNotFoundError(f"no store at {self.data_dir}: run `store-edge init` first")
        self.plugins = tuple(installed() if plugins is None else plugins)  # the app mounts these
        db = open_database(self.path)
        # refuses a newer database; backs up before migrating
        bring_up_to_date(db, self.data_dir, migration_sequences(self.plugins))
        self.config: StoreConfig = meta.load_config(db.conn)
        self.chain_key = meta.get_secret(db.conn, "chain_key")
        self.store_key = meta.get_secret(db.conn, "store_key")
        self._secrets = {"chain_key": self.chain_key, "store_key": self.store_key}
        self._reapply_tombstones(db.conn, clock)
        stored = locks_repo.stored_locks(db.conn)
        db.conn.close()
        self.clock = clock
        self.writer = Writer(self.path).start()
        self.reader = Reader(self.path)
        self._ref: Reference | None = None
        self._ref_checked = 0.0
        self._ref_seen = 0
        self._ref_lock = threading.Lock()
        self._plan: tuple[str, OfferPlan] | None = None
        self.checkout_board = CheckoutBoard()  # lost on restart: the next quote rebuilds it
        self.price_locks = LockBook()  # the pure quotes' locks; the ones holding something are in SQLite too
        self.price_locks.load_stored(stored)
        self.join_offers: tuple[str, JoinOffersIn] | None = None  # (reference version, the store's join offers)
        self._day_span: tuple[datetime, datetime, str, ZoneInfo, dt_time] | None = None

    @property
    def backup_dirs(self) -> list[Path]:
        """Every directory that may hold a copy of this store, so an erasure reaches them too: the
        default, the configured backup dir and its second copy, every place a backup was ever written
        (noted beside the database), and the files a restore set aside."""
        from .backup import ASIDE, known_places

        found = [self.data_dir / "backups", *self._backup_dirs, *known_places(self.data_dir), self.data_dir / ASIDE]
        return list(dict.fromkeys(d.resolve() for d in found))

    def _reapply_tombstones(self, conn, clock: Clock) -> None:  # noqa: ANN001 - sqlite3.Connection
        """A database restored from an older copy may hold members erased since: erase them again, by
        id, before anything is served (the tombstones live beside the database, not in it)."""
        from .erasure import TOMBSTONES, reapply_tombstones, settle

        if not (self.data_dir / TOMBSTONES).exists():  # nothing was ever erased here: no write at open
            return
        with immediate(conn):
            again = reapply_tombstones(conn, self.data_dir, self.config.store_id, clock())
        if again:
            settle(conn)

    @property
    def tz(self):  # noqa: ANN201 - ZoneInfo
        return self.config.tz

    def reference(self) -> Reference:
        """The cached reference data: reloaded at once after a change committed through this process's
        writer, and within RECHECK_SECONDS after another process bumped `ref_version`."""
        ref = self._ref
        now = time.monotonic()
        seen = self.writer.changes
        if ref is not None and now - self._ref_checked < RECHECK_SECONDS and seen == self._ref_seen:
            return ref
        conn = self.reader.conn
        version = meta.get_meta(conn, "ref_version") or "0"
        self._ref_checked, self._ref_seen = now, seen
        if ref is not None and ref.version == version:
            return ref
        with self._ref_lock:
            ref = Reference(version, catalog_repo.load_catalog(conn), catalog_repo.load_tiers(conn),
                            catalog_repo.load_member_day_rules(conn), points_repo.load_policy(conn))
            self._ref = ref
        return ref

    def business_day_of(self, now: datetime) -> str:
        """The business day (ISO) `now` falls on, by the one calendar. The current day's bounds are
        kept, so the lanes' quotes and sales do not work the day out again each time."""
        tz, day_start = self.config.tz, self.config.day_start
        span = self._day_span
        if span is not None and span[0] <= now < span[1] and span[3] is tz and span[4] == day_start:
            return span[2]
        day = business_day(now, tz, day_start)
        # the bounds in the clock's own zone: comparing datetimes of one tzinfo needs no offsets
        span = (day_begins(day, tz, day_start).astimezone(now.tzinfo),
                day_begins(day + timedelta(days=1), tz, day_start).astimezone(now.tzinfo), day.isoformat(), tz, day_start)
        self._day_span = span
        return span[2]

    def offer_plan(self, ref: Reference) -> OfferPlan:
        """The store's campaigns, decoded and planned once per reference version (a campaign change bumps it)."""
        hit = self._plan
        if hit is not None and hit[0] == ref.version:
            return hit[1]
        plan = OfferPlan(campaign_repo.load_campaigns(self.reader.conn), self.tz, self.config.day_start)
        self._plan = (ref.version, plan)
        return plan

    def secret(self, name: str) -> bytes:
        """A secret of this store (e.g. the sync key), read from its database once."""
        found = self._secrets.get(name)
        if found is None:
            found = self._secrets[name] = meta.get_secret(self.reader.conn, name)
        return found

    def close(self) -> None:
        self.writer.stop()
        self.reader.close()


def bump_reference(conn) -> None:  # noqa: ANN001 - sqlite3.Connection
    """Mark catalog/tiers/rules changed, in the changing transaction, so every process reloads them:
    the runtime whose writer committed it at once, others within RECHECK_SECONDS."""
    current = int(meta.get_meta(conn, "ref_version") or "0")
    meta.set_meta(conn, "ref_version", str(current + 1))
    mark_changed()
