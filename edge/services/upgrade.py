"""Bringing a store's database to this program's schema when the store opens.

Migrations run at start, each in its own transaction (sqlite-utils records a migration in the same
transaction that applies it). When there is anything to apply, the file is backed up first, so the
way back from a bad upgrade is `store-edge restore` of that file with the previous release. A
database that has migrations this program does not know was upgraded by a newer release: opening
it would run old code over a schema it does not understand, so it is refused with what to do.

Everything here that reads which migrations exist goes through `known_migrations` and
`pending_migrations`, so a change to how the migration sets are organised changes only them.
"""

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ..plugins import installed, migration_sequences
from ..store.migrations import EDGE_MIGRATIONS, MigrationSequence, migrate
from .backup import take_backup

log = logging.getLogger("store_edge.upgrade")
MIGRATIONS_TABLE = "_sqlite_migrations"
BACKUP_DIR_NAME = "backups"


class DatabaseNewer(RuntimeError):
    """The database was upgraded by a newer store-edge than this one."""


@dataclass(frozen=True)
class UpgradeReport:
    applied: list[str]
    backup: Path | None


Sequences = Sequence[MigrationSequence] | None  # the plugins' sequences; None: the installed plugins'


def _all(plugin_sequences: Sequences) -> list[MigrationSequence]:
    if plugin_sequences is None:
        plugin_sequences = migration_sequences(installed())
    return [EDGE_MIGRATIONS, *plugin_sequences]


def known_migrations(plugin_sequences: Sequences = None) -> set[tuple[str, str]]:
    """(set, name) of every migration this program ships, as recorded in `_sqlite_migrations`."""
    return {m.recorded_as for s in _all(plugin_sequences) for m in s.steps}


def applied_migrations(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(set, name) of the migrations recorded in the database, in the order they were applied."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (MIGRATIONS_TABLE,)).fetchone()
    if not exists:
        return []
    return [(r[0], r[1]) for r in conn.execute(f"SELECT migration_set, name FROM {MIGRATIONS_TABLE} ORDER BY id")]


def pending_migrations(db: sqlite_utils.Database, plugin_sequences: Sequences = None) -> list[str]:
    """`set/name` of each migration this program would apply to `db`, in order."""
    return ["/".join(m.recorded_as) for s in _all(plugin_sequences) for m in s.pending(db)]


def unknown_migrations(conn: sqlite3.Connection, plugin_sequences: Sequences = None) -> list[str]:
    """`set/name` of migrations applied to the database that this program does not have."""
    known = known_migrations(plugin_sequences)
    return [f"{s}/{n}" for s, n in applied_migrations(conn) if (s, n) not in known]


def check_not_newer(conn: sqlite3.Connection, plugin_sequences: Sequences = None) -> None:
    """Raise DatabaseNewer when a newer store-edge has upgraded this database."""
    from .. import __version__

    unknown = unknown_migrations(conn, plugin_sequences)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise DatabaseNewer(
            f"this database was upgraded by a newer store-edge than this one ({__version__}): it has "
            f"migrations this version does not know ({shown}). Install the newer release again "
            f"(deploy/install.sh from it), or restore a backup taken before the upgrade "
            f"(`store-edge restore FILE`; the upgrade left one in the data directory's backups/ folder)")


def has_store(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'store_meta'").fetchone() is not None


def bring_up_to_date(db: sqlite_utils.Database, data_dir: Path | str,
                     plugin_sequences: Sequences = None) -> UpgradeReport:
    """Refuse a newer database; back up and migrate an older one; do nothing to a current one."""
    conn = db.conn
    check_not_newer(conn, plugin_sequences)
    pending = pending_migrations(db, plugin_sequences)
    if not pending:
        return UpgradeReport([], None)
    backup_path = None
    if has_store(conn):  # a new, empty file has nothing to lose
        result = take_backup(data_dir, Path(data_dir) / BACKUP_DIR_NAME, label="pre-upgrade")
        backup_path = result.backup.path
        log.warning("upgrading the store database: %d migrations to apply; backup first at %s",
                    len(pending), backup_path)
    migrate(db, *_all(plugin_sequences)[1:])
    log.warning("store database upgraded: %s", ", ".join(pending))
    return UpgradeReport(pending, backup_path)
