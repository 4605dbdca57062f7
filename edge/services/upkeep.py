"""The store's own upkeep beside the app: expire coupons, release held points, expire old points,
release price locks whose time is up.

Runs once shortly after start and then every UPKEEP_SECONDS; the same sweep is
`POST /api/v1/campaigns/maintenance` and `store-edge campaigns maintain`. The till never waits on it.
"""

import asyncio
import logging

from . import coupons, points, price_lock
from .background import beside_app
from .runtime import StoreRuntime

log = logging.getLogger("store_edge.upkeep")
UPKEEP_SECONDS = 600.0
FIRST_AFTER_SECONDS = 1.0


async def sweep(store: StoreRuntime) -> dict[str, int]:
    return {"coupons_expired": await coupons.expire_due(store), **await points.maintain(store),
            "price_locks_released": await price_lock.release_expired(store)}


async def upkeep_loop(store: StoreRuntime, every_seconds: float | None = None) -> None:
    await asyncio.sleep(FIRST_AFTER_SECONDS)
    while True:
        try:
            done = await sweep(store)
            if any(done.values()):
                log.info("upkeep: %s", done)
        except Exception:  # retried on the next round
            log.exception("upkeep failed")
        await asyncio.sleep(every_seconds or UPKEEP_SECONDS)


start_upkeep, stop_upkeep = beside_app("upkeep", upkeep_loop)
