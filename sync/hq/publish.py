"""Building config bundles at HQ: one signed bundle per store, with a chain-wide monotonic version.

HQ's own config (tiers, catalog, campaigns) is a JSON file the operator edits. A campaign with a
chain-wide `chain_cap` is leased out to the stores in its scope (`store_caps` when HQ set them,
else an even split by largest remainder), and each store's lease goes in its body as `store_cap`.
Directory, alias and erasure deltas are those not yet sent to a store: newer than the version it
has applied (`base_version`).
"""

from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from ..bundle_format import (
    BundleBody,
    Campaign,
    DirectoryEntry,
    Erasure,
    Merge,
    SkuConfig,
    TierConfig,
    seal_bundle,
)
from ..wire import BundleEnvelope
from .days import iso
from .stores import StoreEntry
from .warehouse import Warehouse


class HqCampaign(msgspec.Struct, frozen=True, kw_only=True):
    campaign_id: str
    kind: str
    body: dict[str, Any]
    active: bool = True
    stores: list[str] | None = None  # None: every store
    chain_cap: int | None = None  # a total the chain must not pass: leased out to the stores
    store_caps: dict[str, int] | None = None


class HqConfig(msgspec.Struct, frozen=True, kw_only=True):
    tiers: list[TierConfig] | None = None
    catalog: list[SkuConfig] | None = None
    campaigns: list[HqCampaign] = []


def load_config(path: Path | str | None) -> HqConfig:
    return HqConfig() if path is None else msgspec.json.decode(Path(path).read_bytes(), type=HqConfig)


def split_cap(total: int, store_ids: list[str]) -> dict[str, int]:
    """An even split of a chain-wide cap; the remainder goes one by one to the first stores (sorted)."""
    ids = sorted(store_ids)
    if not ids:
        return {}
    share, rest = divmod(total, len(ids))
    return {s: share + (1 if i < rest else 0) for i, s in enumerate(ids)}


def campaigns_for(config: HqConfig, store_id: str, all_stores: list[str]) -> list[Campaign]:
    out = []
    for c in config.campaigns:
        scope = c.stores if c.stores is not None else all_stores
        if store_id not in scope:
            continue
        body = dict(c.body)
        if c.chain_cap is not None:
            leases = c.store_caps if c.store_caps is not None else split_cap(c.chain_cap, scope)
            body["store_cap"] = leases.get(store_id, 0)
        out.append(Campaign(campaign_id=c.campaign_id, kind=c.kind, body=body, active=c.active))
    return out


def next_version(wh: Warehouse) -> int:
    """Take the next bundle version and stamp every unsent directory, alias and erasure change with it
    (in the caller's transaction; the version is taken in one statement, so two publishers never share one)."""
    version = int(wh.execute("INSERT INTO hq_meta (key, value) VALUES ('bundle_version', '1') "
                             "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(hq_meta.value AS INTEGER) + 1 AS TEXT) "
                             "RETURNING value").fetchone()[0])
    wh.execute("UPDATE identities SET dir_version = ? WHERE dir_version IS NULL", (version,))
    wh.execute("UPDATE identities SET alias_version = ? WHERE alias_version IS NULL", (version,))
    wh.execute("UPDATE erasures SET published_version = ? WHERE published_version IS NULL", (version,))
    return version


def bundle_for(wh: Warehouse, entry: StoreEntry, config: HqConfig, all_stores: list[str], version: int,
               base_version: int, now: datetime) -> BundleEnvelope:
    """The signed bundle for one store: full tiers/catalog/campaigns, deltas since `base_version`."""
    directory = [DirectoryEntry(member_id=r[0], phone_hash=r[1], home_store_id=r[2], joined_at=r[3])
                 for r in wh.execute("SELECT member_id, phone_hash, store_id, joined_at FROM identities "
                                       "WHERE dir_version > ? AND store_id != ? AND erased_at IS NULL "
                                       "AND phone_hash IS NOT NULL AND person_id = member_id ORDER BY member_id",
                                       (base_version, entry.store_id))]
    merges = [Merge(alias_member_id=r[0], member_id=r[1])
              for r in wh.execute("SELECT member_id, person_id FROM identities WHERE alias_version > ? "
                                    "ORDER BY member_id", (base_version,))]
    # tombstones name member ids only: a store applies them to exactly those ids
    erasures = [Erasure(member_id=r[0], merged_ids=msgspec.json.decode(r[1], type=list[str]))
                for r in wh.execute("SELECT member_id, merged_ids FROM erasures WHERE published_version > ? "
                                      "ORDER BY member_id", (base_version,))]
    body = BundleBody(store_id=entry.store_id, version=version, base_version=base_version, created_at=iso(now),
                      tiers=config.tiers, catalog=config.catalog,
                      campaigns=campaigns_for(config, entry.store_id, all_stores),
                      directory=directory, merges=merges, erasures=erasures)
    return seal_bundle(entry.sync_key_bytes, body)


def store_base_version(wh: Warehouse, store_id: str) -> int:
    row = wh.execute("SELECT config_version FROM stores WHERE store_id = ?", (store_id,)).fetchone()
    return row[0] if row else 0


def record_applied(wh: Warehouse, store_id: str, version: int) -> None:
    wh.execute("INSERT INTO stores (store_id, config_version) VALUES (?, ?) ON CONFLICT (store_id) DO UPDATE "
                 "SET config_version = CASE WHEN excluded.config_version > stores.config_version "
               "THEN excluded.config_version ELSE stores.config_version END", (store_id, version))
