"""`store-edge backup | restore | upgrade | doctor`: running a store unattended.

Each takes `--config FILE` (or STORE_EDGE_CONFIG) for the installed service's settings and
`--data-dir` (or STORE_EDGE_DATA_DIR) to point at a store directly; a flag wins over the file.
"""

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from .cli_common import data_dir as store_folder
from .service_config import ConfigError, ServiceConfig, resolve

EXIT_FAILED = 1
EXIT_CONFIG = 78


def register(sub: argparse._SubParsersAction, data_dir_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        data_dir_arg(p)
        p.add_argument("--config", help="the service's settings file (or STORE_EDGE_CONFIG)")

    p = sub.add_parser("backup", help="back up the store while it runs: checked, kept N, copied to a second place")
    common(p)
    p.add_argument("--to", help="directory for the backup (default: backup.dir, else <data dir>/backups)")
    p.add_argument("--keep", type=int, help="keep this many regular backups (default: backup.keep, 48)")
    p.add_argument("--copy-to", help="also copy it here, e.g. a second disk (default: backup.copy_to)")
    p.add_argument("--list", action="store_true", help="list the backups instead of taking one")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="make a backup the store again (service stopped; current file kept aside)")
    p.add_argument("file", help="a backup file (store-edge backup --list)")
    common(p)
    p.add_argument("--allow-other-store", action="store_true",
                   help="restore another store's backup here (moving a store to a new machine)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("upgrade", help="apply pending database migrations now (a backup is taken first)")
    common(p)
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("doctor", help="check config, keys, disk, database, backups, fonts, printers, HQ")
    common(p)
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    p.set_defaults(func=cmd_doctor)


def _settings(args: argparse.Namespace) -> ServiceConfig:
    try:
        return resolve(args.config)
    except ConfigError as exc:
        print(f"store-edge: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def _data_dir(args: argparse.Namespace, settings: ServiceConfig) -> Path:
    return store_folder(args, settings.data_dir or None)


def cmd_backup(args: argparse.Namespace) -> None:
    from .services.backup import BackupError, list_backups, take_backup

    settings = _settings(args)
    data_dir = _data_dir(args, settings)
    dest = Path(args.to) if args.to else settings.backup_dir(data_dir)
    if args.list:
        for b in list_backups(dest):
            print(f"{b.path}\t{b.taken_at.isoformat()}\t{b.size}\t{b.label or 'regular'}")
        return
    try:
        result = take_backup(data_dir, dest, keep=args.keep or settings.backup.keep,
                             copy_to=args.copy_to or settings.backup.copy_to or None)
    except (BackupError, OSError) as exc:
        print(f"store-edge: backup failed: {exc}", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    b = result.backup
    print(f"backup {b.path} ({b.size} bytes, integrity ok, {result.seconds:.2f} s)")
    if result.copied_to:
        print(f"copied to {result.copied_to}")
    for path in result.removed:
        print(f"removed old backup {path}")


def _schema_check(conn) -> None:  # noqa: ANN001 - sqlite3.Connection
    from .services.upgrade import check_not_newer

    check_not_newer(conn)


def cmd_restore(args: argparse.Namespace) -> None:
    from .plugins import installed
    from .services.backup import BackupError, restore_backup
    from .services.upgrade import DatabaseNewer

    settings = _settings(args)
    data_dir = _data_dir(args, settings)
    try:
        result = restore_backup(args.file, data_dir, hooks=[h for p in installed() for h in p.restore_hooks],
                                check_schema=_schema_check,
                                allow_other_store=args.allow_other_store)
    except (BackupError, DatabaseNewer, OSError) as exc:
        print(f"store-edge: restore refused: {exc}", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    print(f"restored store {result.store_id} from {args.file} into {result.restored}")
    if result.kept_aside:
        print(f"the previous file is kept at {result.kept_aside}")
    print("a new sync epoch begins: HQ re-reads this store from it and drops what it already has")
    print("start the service again: systemctl start store-edge")


def cmd_upgrade(args: argparse.Namespace) -> None:
    from .services.runtime import DB_NAME, StoreRuntime
    from .services.upgrade import DatabaseNewer, pending_migrations
    from .store.connection import open_database

    settings = _settings(args)
    data_dir = _data_dir(args, settings)
    if not (data_dir / DB_NAME).exists():
        sys.exit(f"store-edge: no store at {data_dir}")
    db = open_database(data_dir / DB_NAME)
    try:
        pending = pending_migrations(db)
    finally:
        db.conn.close()
    try:
        StoreRuntime(data_dir).close()  # opening the store is what upgrades it
    except DatabaseNewer as exc:
        print(f"store-edge: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    print(f"applied {len(pending)} migrations" + (f": {', '.join(pending)}" if pending else " (up to date)"))


def cmd_doctor(args: argparse.Namespace) -> None:
    from .services.doctor import DoctorContext, as_dict, exit_code, run_checks

    settings = _settings(args)
    data_dir = _data_dir(args, settings)
    ctx = DoctorContext(settings=settings, data_dir=data_dir)
    findings = run_checks(ctx)
    if args.json:
        print(json.dumps(as_dict(findings, ctx.clock()), ensure_ascii=False))
    else:
        for f in findings:
            print(f.line())
    sys.exit(exit_code(findings))


def demo_standee(data_dir: Path):  # noqa: ANN201 - StandeeOut
    """The demo store's door standee (made on first use, the same one after): its join URL is what a
    newcomer scans in the first minute."""
    import asyncio

    from .schemas import StandeeIn
    from .services import join
    from .services.runtime import StoreRuntime

    store = StoreRuntime(data_dir)
    try:
        data = StandeeIn(standee_id="demo-door", label="门口立牌 Door", location="entrance",
                         welcome_campaign_id="welcome-5")
        out, _ = asyncio.run(join.create_standee(store, data))
        return out
    finally:
        store.close()
