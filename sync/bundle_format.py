"""A config bundle's body as HQ builds it, and sealing it: pure (msgspec and the wire), no edge imports.

The edge decodes the same JSON into its own `sync.bundles.BundleBody` (with the edge's `Tier` and
`Sku`); `TierConfig` and `SkuConfig` are copies of those two, field for field and constraint for
constraint, so HQ refuses a bad tier or price before signing it. A test holds the copies and both
bodies equal.
"""

import hashlib
from typing import Annotated, Any

import msgspec

from .wire import BundleEnvelope, bundle_signature

Fen = Annotated[int, msgspec.Meta(ge=0, le=10**11)]
Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class SkuConfig(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    category: str
    price_fen: Fen
    perishable: bool = False
    track_stock: bool = True
    member_discount: bool = True


class TierConfig(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name_zh: str
    name_en: str
    rank: int
    discount_bps: Bps = 0
    points_multiplier_pct: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 100
    upgrade_spend_fen: Fen = 0


class Campaign(msgspec.Struct, frozen=True, kw_only=True):
    campaign_id: str
    kind: str
    body: dict[str, Any]  # owned by the campaign engine: stored as given (with `store_cap` for a lease)
    active: bool = True


class DirectoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A member who joined at another store, so this store recognises them by phone."""

    member_id: str
    phone_hash: str
    home_store_id: str
    joined_at: str
    join_source: str = "import"
    tier_id: str | None = None


class Merge(msgspec.Struct, frozen=True, kw_only=True):
    alias_member_id: str  # the later join of the same person
    member_id: str  # the survivor: the earliest join


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    """A tombstone: these member ids are erased. Applied by id only, never by phone hash, so a phone
    that joined again is a new member everywhere, including stores provisioned later."""

    member_id: str | None = None
    phone_hash: str | None = None  # no longer sent, and ignored when an older HQ sends it
    merged_ids: list[str] = []  # the ids HQ merged into the same person when it erased them


class BundleBody(msgspec.Struct, frozen=True, kw_only=True):
    store_id: str
    version: int
    base_version: int = 0
    created_at: str
    tiers: list[TierConfig] | None = None  # None: unchanged
    catalog: list[SkuConfig] | None = None
    campaigns: list[Campaign] | None = None
    directory: list[DirectoryEntry] = []
    merges: list[Merge] = []
    erasures: list[Erasure] = []


def seal_bundle(sync_key_: bytes, body: msgspec.Struct) -> BundleEnvelope:
    """Encode and sign a bundle body (HQ's or the edge's, the same JSON) for its store."""
    text = msgspec.json.encode(body).decode()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return BundleEnvelope(store_id=body.store_id, version=body.version, sha256=digest, body=text,
                          signature=bundle_signature(sync_key_, body.store_id, body.version, digest))
