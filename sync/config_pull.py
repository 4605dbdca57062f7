"""The edge fetching its config bundle from HQ itself (when HQ cannot reach the store to push it).

HQ's `publish --out DIR` writes `<store_id>.bundle.json` per store; any static file server over
DIR is the configured `hq_config_url`. The bundle is checked and applied exactly as a pushed one.
"""

import asyncio

import httpx
import msgspec

from edge.services.runtime import StoreRuntime

from . import settings as sync_settings
from .bundles import applied_version, apply_bundle
from .wire import BundleEnvelope, ConfigApplied


class ConfigPullError(Exception):
    """The bundle could not be fetched (the store keeps its current config)."""


async def pull_config(store: StoreRuntime, url: str | None = None, timeout: float = 15.0) -> ConfigApplied | None:
    """Fetch this store's bundle from HQ and apply it when newer; None when there is nothing newer."""
    base = url or sync_settings.load(store.reader.conn).hq_config_url
    if not base:
        raise ConfigPullError("no HQ config URL: set one with `store-edge sync settings --hq-config-url`")
    target = f"{base.rstrip('/')}/{store.config.store_id}.bundle.json"
    try:
        # httpx's timeout bounds each read; an HQ that trickles a byte at a time would never trip it,
        # so the whole fetch has a deadline too
        async with asyncio.timeout(timeout), httpx.AsyncClient(timeout=timeout) as client:
            resp = await client.get(target)
    except (httpx.HTTPError, TimeoutError) as exc:
        raise ConfigPullError(f"{target}: {type(exc).__name__}: {exc}") from None
    if resp.status_code == 404:
        return None
    if resp.status_code != 200:
        raise ConfigPullError(f"{target}: HTTP {resp.status_code}")
    try:
        envelope = msgspec.json.decode(resp.content, type=BundleEnvelope)
    except (msgspec.DecodeError, RecursionError) as exc:  # RecursionError: the decoder's depth limit
        raise ConfigPullError(f"{target}: not a bundle: {exc}") from None
    if envelope.version <= applied_version(store.reader.conn):
        return None
    return await apply_bundle(store, envelope)
