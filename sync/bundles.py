"""Config bundles from HQ: the format, signing and checking, and applying one atomically on the edge.

A bundle is addressed to one store and signed with that store's sync key (HQ holds it, as it
does to check the store's batches), so one store's key cannot forge another store's config.
`version` only goes up; `base_version` says which version the directory deltas build on, so a
store that missed a bundle refuses the next one instead of silently missing members.
"""

import hashlib
import sqlite3
from datetime import datetime

import msgspec

from edge.domain.clock import iso
from edge.domain.errors import Conflict, FieldError, InvalidInput
from edge.domain.models import Sku, Tier
from edge.services.erasure import erase_member, erased
from edge.services.member_rights import reach_backups
from edge.services.runtime import StoreRuntime, bump_reference
from edge.store import catalog as catalog_repo
from edge.store import directory

from .bundle_format import Campaign, DirectoryEntry, Erasure, Merge, seal_bundle  # noqa: F401 - the edge's names
from .edge_service import sync_key
from .wire import BundleEnvelope, ConfigApplied, bundle_signature, same


class BundleBody(msgspec.Struct, frozen=True, kw_only=True):
    store_id: str
    version: int
    base_version: int = 0
    created_at: str
    tiers: list[Tier] | None = None  # None: unchanged
    catalog: list[Sku] | None = None
    campaigns: list[Campaign] | None = None
    directory: list[DirectoryEntry] = []
    merges: list[Merge] = []
    erasures: list[Erasure] = []


def bad_bundle(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"bundle refused: {field}: {reason}", [FieldError(field, reason)])


def verify_bundle(sync_key_: bytes, store_id: str, envelope: BundleEnvelope) -> BundleBody:
    """Check address, checksum and signature, then decode; raise InvalidInput naming what is wrong."""
    if envelope.store_id != store_id:
        raise bad_bundle("store_id", f"addressed to {envelope.store_id}, this is {store_id}")
    digest = hashlib.sha256(envelope.body.encode()).hexdigest()
    if not same(digest, envelope.sha256):
        raise bad_bundle("sha256", "the body does not match its checksum")
    if not same(bundle_signature(sync_key_, store_id, envelope.version, digest), envelope.signature):
        raise bad_bundle("signature", "not signed with this store's sync key")
    try:
        body = msgspec.json.decode(envelope.body, type=BundleBody)
    except msgspec.DecodeError as exc:
        raise bad_bundle("body", str(exc)) from None
    except RecursionError:  # the decoder's depth limit (see edge.api.strict_body)
        raise bad_bundle("body", "nested too deeply") from None
    if body.version != envelope.version or body.store_id != store_id:
        raise bad_bundle("version", "the body's store or version differs from the envelope's")
    return body


def applied_version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(version), 0) FROM sync_config").fetchone()[0]


def _materialise(conn: sqlite3.Connection, entries: list[DirectoryEntry], version: int, now: datetime) -> int:
    """Make a local members row for each directory member not known here, so sales can name them.

    Done when the bundle arrives, not on first use: the till path stays read-then-sell with no
    extra write, and `sales.member_id`'s foreign key holds. No raw phone is stored: the row is
    found by its phone hash.
    """
    entry_tier = conn.execute("SELECT tier_id FROM tiers ORDER BY rank LIMIT 1").fetchone()
    tiers = {r[0] for r in conn.execute("SELECT tier_id FROM tiers")}
    added = 0
    for e in entries:
        # The directory holds each person's surviving member; when the same person also joined here,
        # the survivor is still materialised and HQ's merge aliases our member to it.
        if erased(conn, e.member_id):  # a tombstone here outlives the directory's memory of it
            continue
        tier = e.tier_id if e.tier_id in tiers else entry_tier[0]
        added += directory.add_directory_member(conn, e.member_id, e.phone_hash, tier, e.joined_at, e.home_store_id,
                                                e.join_source, version, now)
    return added


def _erase(conn: sqlite3.Connection, store_id: str, erasures: list[Erasure], now: datetime) -> int:
    """Apply tombstones by member id (and the ids merged into it); return the members erased here."""
    count = 0
    for e in erasures:
        ids = [m for m in (e.member_id, *e.merged_ids) if m]
        if not ids:
            continue
        before = conn.execute(f"SELECT count(*) FROM members WHERE erased_at IS NULL AND member_id IN "
                              f"({', '.join('?' for _ in ids)})", ids).fetchone()[0]
        erase_member(conn, store_id, ids[0], now, origin="hq", emit=False, also=ids[1:])
        count += before
    return count


def apply_body(conn: sqlite3.Connection, store_id: str, body: BundleBody, sha256: str, now: datetime) -> dict[str, int]:
    """Apply a verified bundle inside the writer's transaction: all of it, or (on any error) none of it."""
    current = applied_version(conn)
    if body.version <= current:
        raise Conflict(f"bundle version {body.version} is not newer than the applied {current}",
                       [FieldError("version", f"must be above {current}")], applied_version=current)
    if body.base_version > current:
        raise Conflict(f"bundle builds on version {body.base_version}; this store has {current}",
                       [FieldError("base_version", f"this store has {current}: send a bundle built on it")],
                       applied_version=current)
    counts = {"tiers": 0, "catalog": 0, "campaigns": 0}
    if body.tiers is not None:
        catalog_repo.upsert_tiers(conn, body.tiers)
        counts["tiers"] = len(body.tiers)
    if body.catalog is not None:
        catalog_repo.upsert_skus(conn, body.catalog)
        counts["catalog"] = len(body.catalog)
    for c in body.campaigns or []:
        catalog_repo.upsert_campaign(conn, c.campaign_id, c.kind, msgspec.json.encode(c.body), "hq", now)
        if not c.active:
            conn.execute("UPDATE campaigns SET active = 0 WHERE campaign_id = ?", (c.campaign_id,))
        counts["campaigns"] += 1
    if body.tiers is not None or body.catalog is not None or body.campaigns:
        bump_reference(conn)
    counts["directory"] = _materialise(conn, body.directory, body.version, now)
    for m in body.merges:
        directory.set_alias(conn, m.alias_member_id, m.member_id, body.version)
    counts["merges"] = len(body.merges)
    counts["erasures"] = _erase(conn, store_id, body.erasures, now)
    conn.execute("INSERT INTO sync_config (version, sha256, applied_at, summary) VALUES (?, ?, ?, ?)",
                 (body.version, sha256, iso(now), msgspec.json.encode(counts).decode()))
    return counts


async def apply_bundle(store: StoreRuntime, envelope: BundleEnvelope) -> ConfigApplied:
    store_id = store.config.store_id
    body = verify_bundle(sync_key(store), store_id, envelope)

    def command(conn: sqlite3.Connection) -> dict[str, int]:
        try:
            return apply_body(conn, store_id, body, envelope.sha256, store.clock())
        except sqlite3.IntegrityError as exc:  # the writer rolls the whole bundle back
            raise Conflict(f"bundle v{body.version} does not fit this store's data: {exc}",
                           [FieldError("body", str(exc))]) from None

    counts = await store.writer.run(command)
    if counts["erasures"]:  # the members erased here are erased in this store's backups too
        await reach_backups(store, [m for e in body.erasures for m in (e.member_id, *e.merged_ids) if m])
    return ConfigApplied(store_id=store_id, version=body.version, applied=counts)
