"""The offers a join brings, and the words that promise them.

Standees carry their own welcome campaign; the store names one welcome campaign for checkout joins
(the customer display's QR, or the cashier enrolling a phone during a checkout), kept in store_meta
and read once per reference version. Every promise text is built from the offer actually attached.
"""

import sqlite3
from collections.abc import Callable

import msgspec

from ..domain.campaigns import Campaign, CouponInstances
from ..domain.errors import FieldError, InvalidInput
from ..domain.loyalty import entry_tier
from ..domain.offer_texts import Promise, receipt_promise, referral_promise, standee_promise
from ..schemas import JoinOffersIn, JoinOffersOut
from ..store import campaigns as campaign_repo
from ..store import meta
from .runtime import StoreRuntime, bump_reference

META_KEY = "join_offers"


def settings(store: StoreRuntime) -> JoinOffersIn:
    """The store's join offers, read once per reference version (a change bumps it)."""
    ref = store.reference()
    hit = store.join_offers
    if hit is not None and hit[0] == ref.version:
        return hit[1]
    raw = meta.get_meta(store.reader.conn, META_KEY)
    found = JoinOffersIn() if raw is None else msgspec.json.decode(raw, type=JoinOffersIn)
    store.join_offers = (ref.version, found)
    return found


def issuable(conn: sqlite3.Connection, campaign_id: str | None) -> Campaign | None:
    """The campaign, when a join could be given its coupon now: it exists, is active and issues coupons."""
    if not campaign_id:
        return None
    stored = campaign_repo.get_campaign(conn, campaign_id)
    if stored is None or not stored.campaign.active or not isinstance(stored.campaign.issuance, CouponInstances):
        return None
    return stored.campaign


def checkout_welcome(store: StoreRuntime) -> Campaign | None:
    """The welcome campaign a checkout join brings, if the store set one that can be issued: read from
    the campaigns as planned once per reference version (a quote's pitch asks on every quote)."""
    campaign_id = settings(store).checkout_welcome_campaign_id
    stored = store.offer_plan(store.reference()).by_id.get(campaign_id) if campaign_id else None
    if stored is None or not stored.campaign.active or not isinstance(stored.campaign.issuance, CouponInstances):
        return None
    return stored.campaign


def out(store: StoreRuntime) -> JoinOffersOut:
    found = settings(store)
    return JoinOffersOut(checkout_welcome_campaign_id=found.checkout_welcome_campaign_id,
                         checkout_welcome=checkout_welcome(store))


async def save(store: StoreRuntime, data: JoinOffersIn) -> JoinOffersOut:
    """Set the store's join offers; a campaign that cannot be issued as a coupon is refused, naming it."""

    def command(conn: sqlite3.Connection) -> None:
        if data.checkout_welcome_campaign_id is not None and issuable(conn, data.checkout_welcome_campaign_id) is None:
            raise InvalidInput("no such coupon campaign", [FieldError(
                "checkout_welcome_campaign_id", "not an active campaign issued as coupons")])
        meta.set_meta(conn, META_KEY, msgspec.json.encode(data).decode())
        bump_reference(conn)

    await store.writer.run(command)
    return out(store)


def set_in(conn: sqlite3.Connection, data: JoinOffersIn) -> None:
    """Set the join offers inside the caller's transaction (store setup)."""
    meta.set_meta(conn, META_KEY, msgspec.json.encode(data).decode())


# --- promises ----------------------------------------------------------------------------------------

def sku_names(store: StoreRuntime) -> Callable[[str, str], str | None]:
    catalog = store.reference().catalog

    def name(sku: str, lang: str) -> str | None:
        item = catalog.get(sku)
        return None if item is None else (item.name_zh if lang == "zh" else item.name_en)

    return name


def standee(store: StoreRuntime, welcome_campaign_id: str | None) -> Promise:
    """What a standee's poster and join page promise: its own welcome campaign, when it can be issued."""
    ref = store.reference()
    return standee_promise(issuable(store.reader.conn, welcome_campaign_id), entry_tier(ref.tiers),
                           sku_names(store))


def receipt(store: StoreRuntime, points: int) -> Promise:
    return receipt_promise(points, entry_tier(store.reference().tiers))


def referral_reward(store: StoreRuntime) -> Campaign | None:
    """The campaign a referral rewards both members with (the first active referral coupon campaign)."""
    return next((s.campaign for s in _stored(store) if s.campaign.kind == "referral" and s.campaign.active
                 and isinstance(s.campaign.issuance, CouponInstances)), None)


def referral(store: StoreRuntime) -> Promise:
    return referral_promise(referral_reward(store), entry_tier(store.reference().tiers))


def birthday_offer(store: StoreRuntime) -> Campaign | None:
    """The store's active birthday campaign, the reason the join page asks for a birthday."""
    return next((s.campaign for s in _stored(store) if s.campaign.kind == "birthday" and s.campaign.active), None)


def _stored(store: StoreRuntime) -> list[campaign_repo.StoredCampaign]:
    """The store's campaigns as decoded once per reference version for the quote."""
    return sorted(store.offer_plan(store.reference()).by_id.values(), key=lambda s: s.campaign.campaign_id)
