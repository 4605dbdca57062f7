"""The pitch on a non-member's checkout: what this cart costs if the customer joins now.

Priced by the same engine as the quote, for the member the customer would become: the entry tier,
no birthday, joined today, holding the store's checkout welcome coupon (when one is set and can
still be issued), with the member-only campaigns running now and the codes the lane presented. So
the re-quote after the join answers exactly `total_if_joined_fen`. It is computed only for
non-members, and only reads.

A birthday typed on the join page can add a birthday offer on top: the pitch is what joining
alone gives, never more.
"""

import sqlite3
from datetime import datetime, timedelta

import msgspec

from ..domain.campaigns import Campaign, CouponInstances
from ..domain.clock import iso
from ..domain.loyalty import entry_tier, points_earned
from ..domain.models import CartLine, Member
from ..domain.offer_texts import Promise, checkout_promise
from ..schemas import JoinOffer, WelcomeCouponOut
from ..store import coupons as coupon_repo
from . import join_offers
from .pricing import PricingContext, price_cart
from .runtime import Reference, StoreRuntime

JOINING = "(joining)"  # the would-be member: no row has this id, so its per-member counts are all 0
WELCOME_PREVIEW = "(welcome)"  # the welcome coupon as it would be issued


class Pitch(msgspec.Struct, frozen=True, kw_only=True):
    saving_fen: int
    total_if_joined_fen: int
    points: int
    welcome: Campaign | None  # the checkout welcome coupon the join would bring
    welcome_now: bool  # ... and whether this cart uses it
    promise: Promise


def would_be_member(store: StoreRuntime, ref: Reference, now: datetime) -> Member:
    cfg = store.config
    return Member(member_id=JOINING, phone_e164=None, name=None, birthday=None,
                  tier_id=entry_tier(ref.tiers).tier_id, lifetime_spend_fen=0, points_balance=0,
                  joined_at=iso(now), join_store_id=cfg.store_id, join_source="checkout_qr")


def _welcome_coupon(conn: sqlite3.Connection, welcome: Campaign | None, now: datetime) -> list[coupon_repo.CouponRow]:
    """The welcome coupon the join would issue, when the campaign still has coupons to give."""
    if welcome is None or not isinstance(welcome.issuance, CouponInstances):
        return []
    total = welcome.limits.total
    if total is not None and coupon_repo.count_issued(conn, welcome.campaign_id) >= total:
        return []
    expires = now + timedelta(days=welcome.issuance.valid_days)
    return [coupon_repo.CouponRow(code=WELCOME_PREVIEW, campaign_id=welcome.campaign_id, member_id=JOINING,
                                  source="welcome", status="issued", issued_at=iso(now), expires_at=iso(expires))]


def pitch(store: StoreRuntime, ctx: PricingContext, conn: sqlite3.Connection, cart: list[CartLine], codes: list[str],
          total_now_fen: int, holder: str | None = None) -> Pitch:
    """Price the cart for the member this customer would become (in the quote's own pricing context,
    through its connection), and say what joining gives. `holder`: the checkout, whose own price-lock
    reservations do not count against it (as on the re-quote after the join)."""
    ref, now = ctx.ref, ctx.now
    member = would_be_member(store, ref, now)
    welcome = join_offers.checkout_welcome(store)
    coupons = _welcome_coupon(conn, welcome, now)
    result = price_cart(ctx, conn, cart, member, codes, coupons, holder=holder)
    total = result.cart.total_fen
    welcome_now = any(u.offer_id == f"coupon:{WELCOME_PREVIEW}" for u in result.uses)
    tier = ref.tiers[member.tier_id]
    points = points_earned(total, tier, store.config.fen_per_point) * result.points_multiplier_pct // 100
    # a member keeps every option a non-member has, so joining should never cost more; if the search
    # over many exclusive groups ever found it so, the pitch names no saving rather than a false one
    saving = max(0, total_now_fen - total)
    later = welcome if coupons and not welcome_now else None
    promise = checkout_promise(saving, total, points, later, tier, join_offers.sku_names(store),
                               welcome_now=welcome if welcome_now else None)
    return Pitch(saving_fen=saving, total_if_joined_fen=total, points=points,
                 welcome=welcome if coupons else None, welcome_now=welcome_now, promise=promise)


def with_pitch(offer: JoinOffer, p: Pitch) -> JoinOffer:
    """The join QR's offer with the pitch on it, for the quote and the display."""
    welcome = None
    if p.welcome is not None:
        welcome = WelcomeCouponOut(campaign_id=p.welcome.campaign_id, name_zh=p.welcome.name_zh,
                                   name_en=p.welcome.name_en, applies_now=p.welcome_now)
    return msgspec.structs.replace(
        offer, saving_fen=p.saving_fen, total_if_joined_fen=p.total_if_joined_fen, points_if_joined=p.points,
        welcome_coupon=welcome, pitch_zh=p.promise.headline_zh, pitch_en=p.promise.headline_en,
        pitch_detail_zh=p.promise.lead_zh, pitch_detail_en=p.promise.lead_en)
