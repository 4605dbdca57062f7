"""One open store: its file, the writer, the readers, config, secrets and cached reference data."""

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from ..config import StoreConfig
from ..domain.clock import Clock, system_clock
from ..domain.models import MemberDayRule, Sku, Tier
from ..domain.points import PointsPolicy
from ..store import catalog as catalog_repo
from ..store import meta
from ..store import points as points_repo
from ..store.connection import immediate, open_database
from ..store.reader import Reader
from ..store.schema import migrate
from ..store.writer import Writer, after_commit

DB_NAME = "store.db"
RECHECK_SECONDS = 1.0  # how stale reference data changed by another process may be
_local_changes = [0]  # bumped after each committed reference change made in this process


@dataclass(frozen=True)
class Reference:
    """Catalog, tiers and rules: read on nearly every request, changed rarely, so cached."""

    version: str
    catalog: dict[str, Sku]
    tiers: dict[str, Tier]
    member_days: list[MemberDayRule]
    points_policy: PointsPolicy


class Store:
    """Opens a store's data dir; `close()` stops its writer. Everything else reaches data through it."""

    def __init__(self, data_dir: Path | str, clock: Clock = system_clock) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        if not self.path.exists():
            raise FileNotFoundError(f"no store at {self.data_dir}: run `store-edge init` first")
        db = open_database(self.path)
        migrate(db)
        self.config: StoreConfig = meta.load_config(db.conn)
        self.chain_key = meta.get_secret(db.conn, "chain_key")
        self.store_key = meta.get_secret(db.conn, "store_key")
        self._reapply_tombstones(db.conn, clock)
        db.conn.close()
        self.clock = clock
        self.writer = Writer(self.path).start()
        self.reader = Reader(self.path)
        self._ref: Reference | None = None
        self._ref_checked = 0.0
        self._ref_seen = 0
        self._ref_lock = threading.Lock()

    @property
    def backup_dirs(self) -> list[Path]:
        """Where this store's backups are kept, so an erasure reaches them too."""
        return [self.data_dir / "backups"]

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
        seen = _local_changes[0]
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

    def close(self) -> None:
        self.writer.stop()
        self.reader.close()


def bump_reference(conn) -> None:  # noqa: ANN001 - sqlite3.Connection
    """Mark catalog/tiers/rules changed, in the changing transaction, so every process reloads them."""
    current = int(meta.get_meta(conn, "ref_version") or "0")
    meta.set_meta(conn, "ref_version", str(current + 1))
    after_commit(_note_local_change)


def _note_local_change() -> None:
    _local_changes[0] += 1


def encode_struct(value: msgspec.Struct) -> bytes:
    return msgspec.json.encode(value)
