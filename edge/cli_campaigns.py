"""`store-edge campaigns ...`: list campaigns, and the coupon and points sweep a timer should run."""

import argparse
import asyncio
import json
from collections.abc import Callable

from .cli_common import existing_store


def cmd_campaigns(args: argparse.Namespace) -> None:
    """List campaigns, or run the coupon and points sweep (the server also runs it every 10 minutes)."""
    from .services import campaigns, upkeep
    from .services.runtime import StoreRuntime

    store = StoreRuntime(existing_store(args))
    try:
        if args.campaigns_cmd == "list":
            for c in campaigns.list_campaigns(store):
                print(f"{c.campaign.campaign_id}\t{c.campaign.kind}\t{c.origin}\t{c.campaign.name_en}")
        else:
            print(json.dumps(asyncio.run(upkeep.sweep(store))))
    finally:
        store.close()


def register(sub: argparse._SubParsersAction, data_dir_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("campaigns", help="list campaigns; run the coupon and points sweep")
    cs = p.add_subparsers(dest="campaigns_cmd", required=True)
    data_dir_arg(cs.add_parser("list", help="every active campaign: id, kind, origin, name"))
    data_dir_arg(cs.add_parser("maintain", help="expire due coupons, release held points, expire old points"))
    p.set_defaults(func=cmd_campaigns)
