"""Pricing a cart at this store, now: the one path a quote and a sale both take.

A `PricingContext` is where and when a cart is priced (the store's id, zone and business-day start,
its reference data and planned offers, the moment and its business day), made once per quote or
sale. `price_cart` reads what the offers in play need (caps, the member's coupons, flash stock)
through the connection it is given: a quote's reader, or the writer's transaction on a sale, so lanes
cannot overspend a cap or a flash surplus between them.
"""

import sqlite3
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import msgspec

from ..domain.campaigns import (
    Campaign,
    CouponInstances,
    Customer,
    SharedCode,
    conditions_hold,
    expires_at,
    may_reach,
)
from ..domain.clock import parse_iso
from ..domain.errors import CapReached, Conflict, FieldError, InvalidInput
from ..domain.join_rate import business_day
from ..domain.models import CartLine, Member
from ..domain.pricing import Offer, Priced, price_order, resolve_lines
from ..schemas import LineIn
from ..store import campaigns as campaign_repo
from ..store import catalog as catalog_repo
from ..store import coupons as coupon_repo
from .offer_plan import OfferPlan
from .runtime import Reference, StoreRuntime


@dataclass(frozen=True, slots=True)
class PricingContext:
    """Where and when a cart is priced: everything a price depends on besides the cart and the customer."""

    store_id: str
    tz: ZoneInfo
    day_start: time  # the business day's start: rules and reports share one calendar
    ref: Reference
    plan: OfferPlan
    now: datetime
    day: str  # the business day `now` falls on, ISO

    @property
    def local(self) -> datetime:
        return self.now.astimezone(self.tz)


def pricing_context(store: StoreRuntime, ref: Reference | None = None, now: datetime | None = None) -> PricingContext:
    """The context for pricing at this store now (or at `now`), on the reference data given or current."""
    ref = ref if ref is not None else store.reference()
    now = now if now is not None else store.clock()
    cfg = store.config
    tz, day_start = cfg.tz, cfg.day_start
    return PricingContext(store_id=cfg.store_id, tz=tz, day_start=day_start, ref=ref, plan=store.offer_plan(ref),
                          now=now, day=business_day(now, tz, day_start).isoformat())


def cart_of(ref: Reference, lines: list[LineIn]) -> list[CartLine]:
    """The requested lines at catalog prices; InvalidInput names an unknown SKU's line."""
    return resolve_lines([(x.sku, x.qty, x.unit_price_fen) for x in lines], ref.catalog)


def customer_of(member: Member | None, ctx: PricingContext) -> Customer:
    if member is None:
        return Customer()
    joined = parse_iso(member.joined_at).astimezone(ctx.tz).date().isoformat()
    return Customer(member_id=member.member_id, tier_id=member.tier_id, birthday=member.birthday, joined_on=joined)


def price_cart(ctx: PricingContext, conn: sqlite3.Connection, cart: list[CartLine], member: Member | None,
               codes: list[str], coupons: list[coupon_repo.CouponRow] | None = None) -> Priced:
    """Price the cart with every campaign that may apply, counting caps through `conn`.

    `coupons`: the member's usable coupons when the caller already read them; [] for a member
    recognised by payment alone, whose own coupons are not spent without them at the till (codes
    presented still are); None reads them.
    """
    who = customer_of(member, ctx)
    offers = build_offers(ctx, conn, cart, member, who, codes, coupons)
    return price_order(cart, ctx.ref.catalog, who, ctx.ref.tiers, offers, flash_surplus(conn, offers, cart), ctx.now,
                       ctx.tz, ctx.store_id, ctx.day_start)


def remaining(c: Campaign, origin: str, used: campaign_repo.Usage | None, member_id: str | None) -> int | None:
    """Uses left under every limit; None when nothing limits it.

    An HQ campaign's `total` is chain-wide: this store spends only its lease (`store_cap`) and
    nothing at all when HQ gave it none, so the chain can never overspend while offline.
    """
    used = used or campaign_repo.Usage()
    lim = c.limits
    caps: list[int] = []
    if c.lease is not None:
        caps.append(c.lease - used.total)
    elif lim.total is not None:
        caps.append(lim.total - used.total if origin == "local" else 0)
    if lim.per_day is not None:
        caps.append(lim.per_day - used.today)
    if lim.per_member is not None and not isinstance(c.issuance, CouponInstances):  # coupons: capped at issue
        caps.append(lim.per_member - used.member if member_id is not None else 0)
    return max(0, min(caps)) if caps else None


def build_offers(ctx: PricingContext, conn: sqlite3.Connection, lines: list[CartLine], member: Member | None,
                 who: Customer, codes: list[str], coupons: list[coupon_repo.CouponRow] | None = None) -> list[Offer]:
    """The automatic offers that may apply to these lines now, the codes presented, and the member's
    own coupons (`coupons`: None reads them, [] spends none); a bad code names its field.

    Caps are read only for the offers still in play: most quotes read none."""
    plan, catalog = ctx.plan, ctx.ref.catalog
    member_id = member.member_id if member else None
    local = ctx.local
    skus = {x.sku for x in lines}
    categories = {catalog[x.sku].category for x in lines}
    autos = [o for o in plan.automatic if may_reach(o.campaign, skus, categories)
             and conditions_hold(o.campaign, who, local, ctx.store_id, ctx.day_start)]
    presented = [_code_target(conn, plan.by_id, code, member_id, ctx.now, f"coupon_codes[{i}]")
                 for i, code in enumerate(codes)]
    if coupons is None:
        coupons = coupon_repo.usable_for(conn, member_id, ctx.now) if member_id is not None else []
    shown = {c.code for c in presented if isinstance(c, coupon_repo.CouponRow)}
    own = [c for c in coupons if c.campaign_id in plan.by_id and c.code not in shown]
    in_play = {o.offer_id for o in autos} | {c.campaign_id for c in own} | {c.campaign_id for c in presented}
    limited = sorted(plan.limited & in_play)
    used = campaign_repo.usage(conn, limited, ctx.day, member_id) if limited else {}
    left = {cid: remaining(plan.by_id[cid].campaign, plan.by_id[cid].origin, used.get(cid), member_id)
            for cid in limited}
    offers = [o if o.offer_id not in left else msgspec.structs.replace(o, remaining=left[o.offer_id])
              for o in autos]
    for i, target in enumerate(presented):
        if isinstance(target, coupon_repo.CouponRow):
            offer = _coupon_offer(plan.by_id[target.campaign_id].campaign, target, left)
        else:
            offer = Offer(offer_id=f"code:{target.issuance.code}", campaign=target, code=target.issuance.code,
                          expires_at=expires_at(target, ctx.tz), remaining=left.get(target.campaign_id))
        if offer.remaining == 0:
            raise CapReached(f"{codes[i]} has reached its cap",
                             [FieldError(f"coupon_codes[{i}]", "this offer is used up")])
        offers.append(offer)
    offers.extend(_coupon_offer(plan.by_id[c.campaign_id].campaign, c, left) for c in own)
    return offers


def _coupon_offer(c: Campaign, coupon: coupon_repo.CouponRow, left: dict[str, int | None]) -> Offer:
    cap = left.get(c.campaign_id)
    return Offer(offer_id=f"coupon:{coupon.code}", campaign=c, code=coupon.code,
                 expires_at=parse_iso(coupon.expires_at), remaining=1 if cap is None else min(1, cap))


def _code_target(conn: sqlite3.Connection, by_id: dict[str, campaign_repo.StoredCampaign], code: str,
                 member_id: str | None, now: datetime, field: str) -> "coupon_repo.CouponRow | Campaign":
    """What a presented code names: one usable coupon instance, or a shared-code campaign."""
    coupon = coupon_repo.by_code(conn, code)
    if coupon is not None:
        if coupon.member_id is not None and coupon.member_id != member_id:
            raise Conflict("this coupon belongs to another member", [FieldError(field, "issued to another member")])
        if coupon.status == "redeemed":
            raise Conflict(f"coupon {code} was already used", [FieldError(field, "already used")])
        if coupon.status != "issued" or parse_iso(coupon.expires_at) <= now:
            raise Conflict(f"coupon {code} has expired", [FieldError(field, "expired")])
        if coupon.campaign_id not in by_id:
            raise Conflict(f"the campaign of coupon {code} has ended", [FieldError(field, "campaign ended")])
        return coupon
    for s in by_id.values():
        c = s.campaign
        if isinstance(c.issuance, SharedCode) and c.issuance.code.upper() == code.upper():
            return c
    raise InvalidInput.on(field, "no such coupon or offer code")


def flash_surplus(conn: sqlite3.Connection, offers: list[Offer], lines: list[CartLine]) -> dict[str, int]:
    """Stock above each flash SKU's threshold, for the SKUs of this cart, read in the caller's
    transaction (the writer's, on a sale). Only open flash offers reach here, so outside the flash
    window nothing is read."""
    in_cart = {x.sku for x in lines}
    threshold: dict[str, int] = {}
    for o in offers:
        f = o.campaign.flash
        if f is not None:
            for sku in o.campaign.scope.skus or []:
                if sku in in_cart:
                    threshold[sku] = max(threshold.get(sku, 0), f.threshold)
    if not threshold:
        return {}
    have = catalog_repo.on_hand_many(conn, list(threshold))
    return {sku: max(0, (have.get(sku) or 0) - t) for sku, t in threshold.items()}
