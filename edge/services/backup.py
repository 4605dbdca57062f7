"""Backups of a store's one database file: taken while the service writes, checked, kept N, copied
to a second directory; and the restore that brings one back safely.

A backup is SQLite's online backup API copying every page in one step, from one read transaction:
in WAL mode that is a consistent snapshot of the last commit before it began, and the writer (and
so the tills) never waits for it. Each copy is checked with `PRAGMA integrity_check` before it is
given its final name, so a file named like a backup is a good one.

    BackupError
     ├── BackupCorrupt     the copy (or a file offered to restore) fails the integrity check
     └── RestoreRefused    the service is running, the file is another store's, or its schema is newer
"""

import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..domain.clock import Clock, system_clock
from ..store import service_lock
from ..store.connection import connect

DB_NAME = "store.db"
SUFFIX = ".db"
# Every directory a backup of this store was written to, one absolute path a line, beside the
# database: an erasure must reach every copy, wherever `--to`, `backup.dir` or `copy_to` put it.
PLACES = "backup-places"
ASIDE = "replaced"  # where a restore sets the current file aside: a whole copy of the store too
_NAME = re.compile(r"^store-edge-(?P<store>[A-Za-z0-9_.-]+)-(?P<at>\d{8}T\d{6}Z)(?:-(?P<label>[a-z0-9-]+))?\.db$")
# A restored file gets through these before it takes the store's name, inside one transaction on the
# copy: the sync package starts a new epoch there (HQ must never take the restored seqs for ones seen).
RestoreHook = Callable[[sqlite3.Connection, datetime], None]


class BackupError(RuntimeError):
    """A backup or a restore could not be done; the message says what to do."""


class BackupCorrupt(BackupError):
    """The file fails SQLite's integrity check."""


class RestoreRefused(BackupError):
    """The restore would be unsafe as asked."""


@dataclass(frozen=True)
class Backup:
    path: Path
    store_id: str
    taken_at: datetime
    size: int
    label: str = ""


@dataclass(frozen=True)
class BackupResult:
    backup: Backup
    copied_to: Path | None
    removed: list[Path]
    seconds: float


def backup_name(store_id: str, at: datetime, label: str = "") -> str:
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    return f"store-edge-{store_id}-{stamp}{'-' + label if label else ''}{SUFFIX}"


def parse_name(path: Path) -> Backup | None:
    """The backup a file name describes, or None for any other file."""
    found = _NAME.match(path.name)
    if not found:
        return None
    at = datetime.strptime(found["at"] + "+0000", "%Y%m%dT%H%M%SZ%z")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    return Backup(path, found["store"], at, size, found["label"] or "")


def list_backups(directory: Path | str) -> list[Backup]:
    """Backups in `directory`, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [b for p in directory.iterdir() if (b := parse_name(p)) is not None]
    return sorted(found, key=lambda b: (b.taken_at, b.path.name))


def integrity_errors(path: Path | str) -> list[str]:
    """SQLite's `integrity_check` on a file, opened read-only: [] when it is sound."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:  # not a database at all, or a torn header
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _store_id(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a store-edge database ({exc})") from exc
    if row is None:
        raise BackupError("not a store-edge database (no store id)")
    return row[0]


def snapshot(source: Path | str, target: Path | str) -> None:
    """Copy the database at `source` into a new file `target`: one read transaction, every page at once.

    Copying in steps would let the writer's commits between steps restart the copy (the backup API
    starts over when another connection changes the source), which under a steady sale load may
    never finish; in one step it reads one WAL snapshot and the writer goes on beside it.
    """
    src = connect(source, readonly=True)
    dst = sqlite3.connect(str(target), isolation_level=None)
    try:
        src.backup(dst, pages=-1)
        # A backup is one self-contained file: no WAL beside it to lose when it is copied away
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


def take_backup(data_dir: Path | str, dest_dir: Path | str, *, keep: int | None = None,
                copy_to: Path | str | None = None, label: str = "", clock: Clock = system_clock) -> BackupResult:
    """Back up the store in `data_dir` into `dest_dir`, check it, keep the newest `keep`, and copy it to
    `copy_to` (keeping `keep` there too). Safe while the service is writing."""
    started = clock()
    source = Path(data_dir) / DB_NAME
    if not source.exists():
        raise BackupError(f"no store at {data_dir}: nothing to back up")
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    probe = connect(source, readonly=True)
    try:
        store_id = _store_id(probe)
    finally:
        probe.close()
    final = dest / backup_name(store_id, started, label)
    partial = dest / f".{final.name}.partial"
    partial.unlink(missing_ok=True)
    try:
        snapshot(source, partial)
        errors = integrity_errors(partial)
        if errors:
            raise BackupCorrupt(f"the copy failed its integrity check ({'; '.join(errors[:3])}): the store "
                                f"file itself may be damaged; run `store-edge doctor`")
        _fsync_file(partial)
        os.replace(partial, final)
        _fsync_dir(dest)
    finally:
        partial.unlink(missing_ok=True)
    remember_places(Path(data_dir), dest, *([Path(copy_to)] if copy_to else []))
    removed = prune(dest, keep, store_id) if keep else []
    copied = None
    if copy_to:
        copied = copy_backup(final, Path(copy_to))
        if keep:
            removed += prune(Path(copy_to), keep, store_id)
    backup = parse_name(final)
    assert backup is not None
    return BackupResult(backup, copied, removed, (clock() - started).total_seconds())


def remember_places(data_dir: Path, *directories: Path) -> None:
    """Note directories this store's backups went to (once each), for erasure to find them later."""
    known = set(known_places(data_dir))
    new = [str(d.resolve()) for d in directories if d.resolve() not in known]
    if new:
        with open(data_dir / PLACES, "a", encoding="utf-8") as f:
            f.write("".join(f"{d}\n" for d in new))


def known_places(data_dir: Path) -> list[Path]:
    """Every directory a backup of the store in `data_dir` went to, as `remember_places` noted them."""
    try:
        text = (data_dir / PLACES).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [Path(line) for line in dict.fromkeys(text.splitlines()) if line.strip()]


def copy_backup(backup: Path, directory: Path) -> Path:
    """Copy a checked backup into another directory (a second disk): whole, or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / backup.name
    partial = directory / f".{backup.name}.partial"
    try:
        shutil.copyfile(backup, partial)
        _fsync_file(partial)
        os.replace(partial, target)
        _fsync_dir(directory)
    finally:
        partial.unlink(missing_ok=True)
    return target


def prune(directory: Path, keep: int, store_id: str) -> list[Path]:
    """Delete this store's oldest regular backups beyond `keep`. Labelled ones (taken before an
    upgrade or a restore) are kept: they are the way back and are few."""
    mine = [b for b in list_backups(directory) if b.store_id == store_id and not b.label]
    doomed = mine[:-keep] if keep > 0 else []
    for b in doomed:
        b.path.unlink(missing_ok=True)
    return [b.path for b in doomed]


def latest_backup(*directories: Path | str | None) -> Backup | None:
    found = [b for d in directories if d for b in list_backups(d)]
    return max(found, key=lambda b: b.taken_at, default=None)


@dataclass(frozen=True)
class RestoreResult:
    restored: Path
    kept_aside: Path | None
    store_id: str


def restore_backup(backup_file: Path | str, data_dir: Path | str, *, hooks: Sequence[RestoreHook] = (),
                   check_schema: Callable[[sqlite3.Connection], None] | None = None,
                   allow_other_store: bool = False, clock: Clock = system_clock) -> RestoreResult:
    """Make `backup_file` the store in `data_dir`, keeping the current file aside.

    Refused while a service holds the store, for a file that fails the integrity check, for another
    store's backup (unless `allow_other_store`), and when `check_schema` raises (a newer schema).
    The hooks run on the copy in one transaction before it takes the store's name, so a crash
    anywhere leaves either the old store in place or the whole restored one.
    """
    backup_file, data_dir = Path(backup_file), Path(data_dir)
    if not backup_file.is_file():
        raise RestoreRefused(f"no file {backup_file}")
    if service_lock.held_by_other(data_dir):
        raise RestoreRefused(f"the store at {data_dir} is being served: stop the service first "
                             f"(systemctl stop store-edge), then restore")
    errors = integrity_errors(backup_file)
    if errors:
        raise BackupCorrupt(f"{backup_file} fails the integrity check ({'; '.join(errors[:3])}): pick another backup")
    data_dir.mkdir(parents=True, exist_ok=True)
    with service_lock.holding(data_dir):  # no service may start on the store while it is swapped
        current = data_dir / DB_NAME
        incoming = data_dir / f".{DB_NAME}.restoring"
        incoming.unlink(missing_ok=True)
        try:
            snapshot(backup_file, incoming)  # a copy: the backup itself stays untouched for another try
            conn = connect(incoming)
            try:
                store_id = _store_id(conn)
                if current.exists() and not allow_other_store:
                    other = _current_store_id(current)
                    if other is not None and other != store_id:
                        raise RestoreRefused(f"{backup_file} is store {store_id}'s backup, but {data_dir} holds "
                                             f"store {other}: pick this store's backup")
                if check_schema is not None:
                    check_schema(conn)
                now = clock()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for hook in hooks:
                        hook(conn, now)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            _fsync_file(incoming)
            kept = _set_aside(current, data_dir / ASIDE, clock())
            os.replace(incoming, current)
            _fsync_dir(data_dir)
        finally:
            incoming.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{incoming}{suffix}").unlink(missing_ok=True)
    return RestoreResult(current, kept, store_id)


def _current_store_id(path: Path) -> str | None:
    try:
        conn = connect(path, readonly=True)
        try:
            return _store_id(conn)
        finally:
            conn.close()
    except (sqlite3.Error, BackupError):  # a damaged current file is what a restore is for
        return None


def _set_aside(current: Path, aside_dir: Path, now: datetime) -> Path | None:
    """Move the current store file (with its WAL folded in when it opens) to `aside_dir`."""
    if not current.exists():
        return None
    try:
        conn = sqlite3.connect(str(current), isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:  # damaged: keep its WAL and shared-memory files beside it as they are
        pass
    aside_dir.mkdir(parents=True, exist_ok=True)
    target = aside_dir / f"store-{now.strftime('%Y%m%dT%H%M%SZ')}.db"
    os.replace(current, target)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{current}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{target}{suffix}"))
    _fsync_dir(aside_dir)
    return target
