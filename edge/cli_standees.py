"""`store-edge standees ...`: make standees and print their posters from the shell (morning setup)."""

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec


def register(sub: argparse._SubParsersAction, data_dir_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("standees", help="create and list standees, write their posters (PNG/PDF)")
    ss = p.add_subparsers(dest="standees_cmd", required=True)
    s = ss.add_parser("create", help="create a standee; prints its id, join URL and short URL")
    s.add_argument("--label", required=True)
    s.add_argument("--location", default="")
    s.add_argument("--welcome-campaign", help="campaign id of the welcome coupon joining here issues")
    data_dir_arg(s)
    s = ss.add_parser("list", help="standees with their scan and join counts")
    data_dir_arg(s)
    s = ss.add_parser("poster", help="write a standee's poster to a file")
    s.add_argument("standee_id")
    s.add_argument("--size", choices=("a4", "a5", "80mm"), default="a4")
    s.add_argument("--out", required=True, help="file to write; .pdf makes a PDF, anything else a PNG")
    data_dir_arg(s)
    p.set_defaults(func=cmd_standees)


def cmd_standees(args: argparse.Namespace) -> None:
    from .cli_common import data_dir
    from .domain.errors import StoreEdgeError
    from .schemas import StandeeIn
    from .services import join, posters
    from .services.runtime import StoreRuntime

    store = StoreRuntime(data_dir(args))
    try:
        if args.standees_cmd == "create":
            data = msgspec.convert({"label": args.label, "location": args.location,
                                    "welcome_campaign_id": args.welcome_campaign}, StandeeIn)
            out, _ = asyncio.run(join.create_standee(store, data))
            print(f"{out.standee_id}\t{out.url}\t{out.short_url}")
        elif args.standees_cmd == "list":
            for s in join.list_standees(store):
                state = "revoked" if s.revoked_at else "live"
                print(f"{s.standee_id}\t{s.label}\t{s.location}\tscans {s.scans}\tjoins {s.joins}\t{state}")
        else:
            out_path = Path(args.out)
            fmt = "pdf" if out_path.suffix.lower() == ".pdf" else "png"
            out_path.write_bytes(posters.standee_poster(store, args.standee_id, args.size, fmt))
            print(f"wrote {out_path}")
    except (StoreEdgeError, msgspec.ValidationError) as exc:
        sys.exit(f"store-edge: {exc}")
    finally:
        store.close()
