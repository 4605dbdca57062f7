"""`store-edge sync ...` on a store: its sync settings, and fetching its config bundle from HQ."""

import argparse
import asyncio
import sys
from collections.abc import Callable

import msgspec

from edge.cli_common import DB_NAME, existing_store
from edge.domain.errors import StoreEdgeError
from edge.services.runtime import StoreRuntime
from edge.store.connection import open_database

from . import settings as sync_settings
from .config_pull import ConfigPullError, pull_config
from .hq.cli import add_hq_commands


def cmd_settings(args: argparse.Namespace) -> None:
    db = open_database(existing_store(args) / DB_NAME)
    try:
        with db.atomic():
            current = sync_settings.load(db.conn)
            changes = {k: v for k, v in (("retention_hours", args.retention_hours),
                                         ("batch_max_events", args.batch_max_events),
                                         ("seal_max_age_seconds", args.seal_max_age),
                                         ("hq_config_url", args.hq_config_url)) if v is not None}
            updated = msgspec.structs.replace(current, **changes)
            sync_settings.save(db.conn, updated)
    finally:
        db.conn.close()
    print(msgspec.json.encode(updated).decode())


def cmd_config_pull(args: argparse.Namespace) -> None:
    store = StoreRuntime(existing_store(args))
    try:
        applied = asyncio.run(pull_config(store, args.url))
    except (ConfigPullError, StoreEdgeError) as exc:
        sys.exit(f"store-edge: config not applied: {exc}")
    finally:
        store.close()
    print("config is up to date" if applied is None else f"config bundle v{applied.version} applied: {applied.applied}")


def add_commands(sub: argparse._SubParsersAction, data_dir_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `store-edge sync ...` (this store's side) and `store-edge hq ...` (HQ's) on the main parser."""
    add_sync_commands(sub)
    add_hq_commands(sub)


def add_sync_commands(sub: argparse._SubParsersAction) -> None:
    """Register `store-edge sync ...` on the main parser."""
    p = sub.add_parser("sync", help="this store's sync with HQ: settings, fetching config from HQ")
    sy = p.add_subparsers(dest="sync_cmd", required=True)
    q = sy.add_parser("settings", help="show or change sync settings (retention, batch size, HQ config URL)")
    q.add_argument("--data-dir", help="the store's folder (or STORE_EDGE_DATA_DIR)")
    q.add_argument("--retention-hours", type=int, help="keep acknowledged batches this long before pruning")
    q.add_argument("--batch-max-events", type=int, help="events per sealed batch at most")
    q.add_argument("--seal-max-age", type=int, help="seal pending events older than this many seconds")
    q.add_argument("--hq-config-url", help="where this store fetches <store_id>.bundle.json")
    q.set_defaults(func=cmd_settings)
    q = sy.add_parser("config-pull", help="fetch this store's config bundle from HQ and apply it if newer")
    q.add_argument("--data-dir", help="the store's folder (or STORE_EDGE_DATA_DIR)")
    q.add_argument("--url", help="instead of the configured HQ config URL")
    q.set_defaults(func=cmd_config_pull)
