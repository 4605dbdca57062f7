"""store-edge command line: demo, init, serve, keys. `STORE_EDGE_DATA_DIR` stands in for --data-dir."""

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from . import cli_campaigns as campaigns_cli
from . import cli_printers as printers_cli
from . import cli_standees as standees_cli
from .config import StoreConfig
from .domain.clock import system_clock
from .services import keys as key_service
from .services.runtime import DB_NAME
from .store.connection import immediate, open_database
from .store.keys import list_keys, revoke

DEFAULT_DEMO_DIR = "./data/demo"


def _data_dir(args: argparse.Namespace, default: str | None = None) -> Path:
    value = args.data_dir or os.environ.get("STORE_EDGE_DATA_DIR") or default
    if not value:
        sys.exit("store-edge: give --data-dir or set STORE_EDGE_DATA_DIR")
    return Path(value)


def _serve(data_dir: Path, host: str, port: int, access_log: bool = False) -> None:
    import uvicorn

    from .app import create_app
    from .services.runtime import Store

    # The writer thread and the event loop share the GIL; the default 5 ms switch interval lets one
    # hold the other up for a whole till request. 1 ms keeps both moving (measured in bench/).
    sys.setswitchinterval(float(os.environ.get("STORE_EDGE_SWITCH_INTERVAL", "0.001")))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("store_edge.access").setLevel(logging.INFO if access_log else logging.WARNING)
    store = Store(data_dir)
    try:
        app = create_app(store)
        # Everything built so far lives as long as the process: keep the collector off it, and collect
        # the young generation less often. Full passes over a big heap were the campaign engine's p99
        # (bench/campaign_bench.py --gc-tuned).
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        config = uvicorn.Config(app, host=host, port=port, access_log=False,
                                loop="auto", http="auto", log_level="info", lifespan="on")
        uvicorn.Server(config).run()
    finally:
        store.close()


def cmd_init(args: argparse.Namespace) -> None:
    from .services.setup import init_store

    data_dir = _data_dir(args)
    config = StoreConfig(store_id=args.store_id, name=args.name, region=args.region, timezone=args.timezone,
                         public_base_url=args.public_url or f"http://127.0.0.1:{args.port}")
    try:
        path = init_store(data_dir, config)
    except FileExistsError as exc:
        sys.exit(f"store-edge: {exc}")
    print(f"store {args.store_id} created at {path}")


def cmd_demo(args: argparse.Namespace) -> None:
    from .services.setup import demo_config, init_store, seed_demo

    data_dir = _data_dir(args, DEFAULT_DEMO_DIR)
    base = f"http://{args.host}:{args.port}"
    if not (data_dir / DB_NAME).exists():
        init_store(data_dir, demo_config(base_url=base))
        keys = seed_demo(data_dir)
    else:  # keys are kept hashed: mint fresh demo keys and retire the previous ones
        db = open_database(data_dir / DB_NAME)
        now = system_clock()
        with immediate(db.conn):
            for key_id, _, label, _, revoked in list_keys(db.conn):
                if label.startswith("demo ") and revoked is None:
                    revoke(db.conn, key_id, now)
            keys = {r: key_service.create_key(db.conn, r, now, f"demo {r}")[1] for r in ("lane", "manager", "hq")}
        db.conn.close()
    print(f"store-edge demo store at {data_dir.resolve()}")
    for role in ("lane", "manager", "hq"):
        print(f"{role} key: {keys[role]}")
    print(f"till: {base}/till  display: {base}/display/L1  manager: {base}/manager (sign in with a key)")
    print(f"door standee poster: {base}/manager/standees/demo-door/poster.png  terms: {base}/legal/terms")
    print(f"health: {base}/healthz")
    print(f"api docs: {base}/schema/swagger")
    print(f"openapi: {base}/schema/openapi.json")
    sys.stdout.flush()
    _serve(data_dir, args.host, args.port, args.access_log)


def cmd_serve(args: argparse.Namespace) -> None:
    data_dir = _data_dir(args)
    if not (data_dir / DB_NAME).exists():
        sys.exit(f"store-edge: no store at {data_dir}; run `store-edge init` first")
    _serve(data_dir, args.host, args.port, args.access_log)


def _keys_db(args: argparse.Namespace):  # noqa: ANN202
    data_dir = _data_dir(args)
    if not (data_dir / DB_NAME).exists():
        sys.exit(f"store-edge: no store at {data_dir}")
    return open_database(data_dir / DB_NAME)


def cmd_keys(args: argparse.Namespace) -> None:
    db = _keys_db(args)
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
                if revoke(db.conn, args.key_id, now) is None:
                    sys.exit(f"store-edge: no live key {args.key_id}")
            print(f"revoked {args.key_id}")
        else:
            for key_id, role, label, created, revoked in list_keys(db.conn):
                print(f"{key_id}\t{role}\t{created}\t{'revoked ' + revoked if revoked else 'live'}\t{label}")
    finally:
        db.conn.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="store-edge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="the store's folder (or STORE_EDGE_DATA_DIR)")

    def listen_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--access-log", action="store_true", help="log every request (refused ones always are)")

    p = sub.add_parser("demo", help="create (if absent) and serve the demo store; prints a key per role")
    data_dir_arg(p)
    listen_args(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("init", help="create a store database")
    data_dir_arg(p)
    p.add_argument("--store-id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--region", default="CN")
    p.add_argument("--timezone", default="Asia/Shanghai")
    p.add_argument("--public-url", help="base URL customers' phones reach the store at")
    p.add_argument("--port", type=int, default=8000, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="serve a store")
    data_dir_arg(p)
    listen_args(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="create, rotate, revoke and list API keys")
    ks = p.add_subparsers(dest="keys_cmd", required=True)
    k = ks.add_parser("create", help="make a key; prints it alone on stdout")
    k.add_argument("--role", required=True, choices=key_service.ROLES)
    k.add_argument("--label", default="")
    data_dir_arg(k)
    k = ks.add_parser("rotate", help="revoke a key and print its successor")
    k.add_argument("key_id")
    data_dir_arg(k)
    k = ks.add_parser("revoke", help="revoke a key")
    k.add_argument("key_id")
    data_dir_arg(k)
    k = ks.add_parser("list", help="list keys (never the keys themselves)")
    data_dir_arg(k)
    p.set_defaults(func=cmd_keys)

    from sync.edge_cli import add_sync_commands  # issue 5: `store-edge sync ...` and `store-edge hq ...`
    from sync.hq.cli import add_hq_commands

    add_sync_commands(sub)
    add_hq_commands(sub)
    standees_cli.register(sub, data_dir_arg)  # scan-to-join: standees and posters
    campaigns_cli.register(sub, data_dir_arg)  # issue 4: campaigns list, the coupon and points sweep
    printers_cli.register(sub, data_dir_arg)  # receipt printers: add, list, remove, test
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
