"""Beside the app: seal by count and age, and fetch HQ's config bundle when a URL is configured."""

import asyncio
import logging
import time

from edge.services.runtime import StoreRuntime

from . import settings as sync_settings
from .config_pull import pull_config
from .edge_service import prune_expired, seal_by_age

log = logging.getLogger("store_edge.sync")
TICK_SECONDS = 15.0
CONFIG_EVERY_SECONDS = 300.0


async def sync_loop(store: StoreRuntime, every_seconds: float = TICK_SECONDS) -> None:
    """Seal batches before HQ asks, prune what HQ acknowledged past the retention, fetch config from HQ
    every few minutes. The till never waits on this."""
    last_config = 0.0
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await seal_by_age(store)
            await prune_expired(store)
        except Exception:  # a failed tick is retried on the next one
            log.exception("sealing or pruning failed")
        if time.monotonic() - last_config >= CONFIG_EVERY_SECONDS:
            last_config = time.monotonic()
            if sync_settings.load(store.reader.conn).hq_config_url:
                try:
                    applied = await pull_config(store)
                    if applied is not None:
                        log.info("config bundle v%d applied", applied.version)
                except Exception as exc:  # HQ unreachable is the normal case offline
                    log.warning("config pull failed: %s", exc)

