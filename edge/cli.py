"""store-edge command line: demo, init, serve, keys. `STORE_EDGE_DATA_DIR` stands in for --data-dir."""

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from . import cli_campaigns as campaigns_cli
from . import cli_ops as ops_cli
from . import cli_printers as printers_cli
from . import cli_standees as standees_cli
from .cli_common import DB_NAME, add_data_dir, data_dir, existing_store
from .config import StoreConfig
from .domain.clock import system_clock
from .plugins import installed
from .service_config import ServiceConfig
from .services import keys as key_service
from .store.connection import immediate, open_database

DEFAULT_DEMO_DIR = "./data/demo"
EXIT_CONFIG = 78  # EX_CONFIG: systemd does not restart on it (RestartPreventExitStatus)


def _serve(data_dir: Path, host: str, port: int, access_log: bool = False,
           settings: ServiceConfig | None = None) -> None:
    from . import serving
    from .app import create_app
    from .logformat import configure_logging
    from .services.runtime import StoreRuntime
    from .services.upgrade import DatabaseNewer
    from .store.service_lock import StoreBusy, hold

    settings = settings or ServiceConfig()
    # The writer thread and the event loop share the GIL; the default 5 ms switch interval lets one
    # hold the other up for a whole till request. 1 ms keeps both moving (measured in bench/).
    sys.setswitchinterval(float(os.environ.get("STORE_EDGE_SWITCH_INTERVAL", "0.001")))
    configure_logging(settings.log.format, settings.log.level)
    logging.getLogger("store_edge.access").setLevel(logging.INFO if access_log else logging.WARNING)
    try:
        lock = hold(data_dir)  # one server per store; a restore waits for it to stop
        # an erasure reaches the configured backups and their second copy
        store = StoreRuntime(data_dir, backup_dirs=[settings.backup_dir(data_dir), settings.backup.copy_to])
    except (StoreBusy, DatabaseNewer) as exc:
        print(f"store-edge: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    try:
        app = create_app(store)
        # Everything built so far lives as long as the process: keep the collector off it, and collect
        # the young generation less often. Full passes over a big heap were the campaign engine's p99
        # (bench/campaign_bench.py --gc-tuned).
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        serving.run(app, host, port, store.writer.healthy, settings.http.trusted_proxies)
    finally:
        store.close()
        lock.close()


def cmd_init(args: argparse.Namespace) -> None:
    from .services.setup import init_store

    folder = data_dir(args)
    config = StoreConfig(store_id=args.store_id, name=args.name, region=args.region, timezone=args.timezone,
                         public_base_url=args.public_url or f"http://127.0.0.1:{args.port}")
    try:
        path = init_store(folder, config)
    except FileExistsError as exc:
        sys.exit(f"store-edge: {exc}")
    print(f"store {args.store_id} created at {path}")


def cmd_demo(args: argparse.Namespace) -> None:
    from .services.setup import demo_config, init_store, seed_demo

    folder = data_dir(args, DEFAULT_DEMO_DIR)
    base = f"http://{args.host}:{args.port}"
    if not (folder / DB_NAME).exists():
        init_store(folder, demo_config(base_url=base))
        keys = seed_demo(folder)
    else:  # keys are kept hashed: mint fresh demo keys and retire the previous ones
        db = open_database(folder / DB_NAME)
        now = system_clock()
        with immediate(db.conn):
            for key_id, _, label, _, revoked in key_service.list_keys(db.conn):
                if label.startswith("demo ") and revoked is None:
                    key_service.revoke_key(db.conn, key_id, now)
            keys = {r: key_service.create_key(db.conn, r, now, f"demo {r}")[1] for r in ("lane", "manager", "hq")}
        db.conn.close()
    print(f"store-edge demo store at {folder.resolve()}")
    for role in ("lane", "manager", "hq"):
        print(f"{role} key: {keys[role]}")
    standee = ops_cli.demo_standee(folder)  # scan it with a phone on the same network to join
    print(f"join (standee at the door): {standee.url}")
    print(f"standee poster (manager key): {standee.poster_png_url}")
    print(f"start page: {base}/")
    print(f"till: {base}/till  display: {base}/display/L1  manager: {base}/manager (sign in with a key)")
    print(f"health: {base}/healthz")
    print(f"api docs: {base}/schema/swagger")
    print(f"openapi: {base}/schema/openapi.json")
    sys.stdout.flush()
    _serve(folder, args.host, args.port, args.access_log)


def cmd_serve(args: argparse.Namespace) -> None:
    from .service_config import ConfigError, resolve

    try:  # --config / STORE_EDGE_CONFIG: the installed service's settings; flags win over the file
        settings = resolve(args.config)
    except ConfigError as exc:
        print(f"store-edge: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    folder = data_dir(args, settings.data_dir or None)
    if not (folder / DB_NAME).exists():
        sys.exit(f"store-edge: no store at {folder}; run `store-edge init` first")
    _serve(folder, args.host or settings.http.host, args.port or settings.http.port,
           args.access_log or settings.http.access_log, settings)


def cmd_keys(args: argparse.Namespace) -> None:
    db = open_database(existing_store(args) / DB_NAME)
    now = system_clock()
    try:
        if args.keys_cmd == "create":
            with immediate(db.conn):
                key_id, token = key_service.create_key(db.conn, args.role, now, args.label)
            print(f"created {args.role} key {key_id}", file=sys.stderr)
            print(token)
        elif args.keys_cmd == "rotate":
            with immediate(db.conn):
                try:
                    key_id, token = key_service.rotate_key(db.conn, args.key_id, now)
                except LookupError as exc:
                    sys.exit(f"store-edge: {exc}")
            print(f"revoked {args.key_id}; created {key_id}", file=sys.stderr)
            print(token)
        elif args.keys_cmd == "revoke":
            with immediate(db.conn):
                if not key_service.revoke_key(db.conn, args.key_id, now):
                    sys.exit(f"store-edge: no live key {args.key_id}")
            print(f"revoked {args.key_id}")
        else:
            for key_id, role, label, created, revoked in key_service.list_keys(db.conn):
                print(f"{key_id}\t{role}\t{created}\t{'revoked ' + revoked if revoked else 'live'}\t{label}")
    finally:
        db.conn.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="store-edge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def listen_args(p: argparse.ArgumentParser, defaults: bool = True) -> None:
        p.add_argument("--host", default="127.0.0.1" if defaults else None, help="default 127.0.0.1")
        p.add_argument("--port", type=int, default=8000 if defaults else None, help="default 8000")
        p.add_argument("--access-log", action="store_true", help="log every request (refused ones always are)")

    p = sub.add_parser("demo", help="create (if absent) and serve the demo store; prints a key per role")
    add_data_dir(p)
    listen_args(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("init", help="create a store database")
    add_data_dir(p)
    p.add_argument("--store-id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--region", default="CN")
    p.add_argument("--timezone", default="Asia/Shanghai")
    p.add_argument("--public-url", help="base URL customers' phones reach the store at")
    p.add_argument("--port", type=int, default=8000, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve a store")
    add_data_dir(p)
    listen_args(p, defaults=False)
    p.add_argument("--config", help="the service's settings file (or STORE_EDGE_CONFIG)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="create, rotate, revoke and list API keys")
    ks = p.add_subparsers(dest="keys_cmd", required=True)
    k = ks.add_parser("create", help="make a key; prints it alone on stdout")
    k.add_argument("--role", required=True, choices=key_service.ROLES)
    k.add_argument("--label", default="")
    add_data_dir(k)
    k = ks.add_parser("rotate", help="revoke a key and print its successor")
    k.add_argument("key_id")
    add_data_dir(k)
    k = ks.add_parser("revoke", help="revoke a key")
    k.add_argument("key_id")
    add_data_dir(k)
    k = ks.add_parser("list", help="list keys (never the keys themselves)")
    add_data_dir(k)
    p.set_defaults(func=cmd_keys)

    standees_cli.register(sub, add_data_dir)  # scan-to-join: standees and posters
    campaigns_cli.register(sub, add_data_dir)  # campaigns list, the coupon and points sweep
    printers_cli.register(sub, add_data_dir)  # receipt printers: add, list, remove, test
    ops_cli.register(sub, add_data_dir)  # backup, restore, upgrade, doctor
    for plugin in installed():  # e.g. sync: `store-edge sync ...` and `store-edge hq ...`
        if plugin.add_commands is not None:
            plugin.add_commands(sub, add_data_dir)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
