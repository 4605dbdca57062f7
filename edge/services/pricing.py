"""Pricing a cart at this store, now: the one path a quote and a sale both take.

A `PricingContext` is where and when a cart is priced (the store's id, zone and business-day start,
its reference data and planned offers, the moment and its business day), made once per quote or
sale. `price_cart` reads what the offers in play need (caps, the member's coupons, flash stock)
through the connection it is given: a quote's reader, or the writer's transaction on a sale, so lanes
cannot overspend a cap or a flash surplus between them.
"""

import sqlite3
from datetime import datetime, time
from functools import lru_cache
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
from ..domain.pricing import Note, Offer, Priced, price_order, resolve_lines
from ..schemas import LineIn
from ..store import campaigns as campaign_repo
from ..store import coupons as coupon_repo
from ..store import locks as locks_repo
from .offer_plan import OfferPlan
from .runtime import Reference, StoreRuntime


class PricingContext(msgspec.Struct, frozen=True, kw_only=True):
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
                          now=now, day=store.business_day_of(now))


def cart_of(ref: Reference, lines: list[LineIn]) -> list[CartLine]:
    """The requested lines at catalog prices; InvalidInput names an unknown SKU's line."""
    return resolve_lines([(x.sku, x.qty, x.unit_price_fen) for x in lines], ref.catalog)


def customer_of(member: Member | None, ctx: PricingContext) -> Customer:
    if member is None:
        return Customer()
    joined = _joined_on(member.joined_at, ctx.tz, ctx.day_start)
    return Customer(member_id=member.member_id, tier_id=member.tier_id, birthday=member.birthday, joined_on=joined)


@lru_cache(maxsize=4096)  # a member's join day never changes: the lanes' regulars are priced again and again
def _joined_on(joined_at: str, tz: ZoneInfo, day_start: time) -> str:
    return business_day(parse_iso(joined_at), tz, day_start).isoformat()  # one calendar


def price_cart(ctx: PricingContext, conn: sqlite3.Connection, cart: list[CartLine], member: Member | None,
               codes: list[str], coupons: list[coupon_repo.CouponRow] | None = None, *,
               holder: str | None = None, lenient: bool = False) -> Priced:
    """Price the cart with every campaign that may apply, counting caps through `conn`.

    `coupons`: the member's usable coupons when the caller already read them; [] for a member
    recognised by payment alone, whose own coupons are not spent without them at the till (codes
    presented still are); None reads them. `holder`: the checkout being priced, whose own
    reservations do not count against it (every other checkout's live ones do). `lenient`: a code
    that cannot be used is left out with a note instead of refusing (a sale already paid for).
    """
    who = customer_of(member, ctx)
    notes: list[Note] = []
    offers = build_offers(ctx, conn, cart, member, who, codes, coupons, holder=holder, lenient=lenient, notes=notes)
    surplus = flash_surplus(conn, offers, cart, ctx.now, holder, notes)
    priced = price_order(cart, ctx.ref.catalog, who, ctx.ref.tiers, offers, surplus, ctx.now,
                         ctx.tz, ctx.store_id, ctx.day_start)
    return msgspec.structs.replace(priced, notes=priced.notes + notes) if notes else priced


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
                 who: Customer, codes: list[str], coupons: list[coupon_repo.CouponRow] | None = None, *,
                 holder: str | None = None, lenient: bool = False, notes: list[Note] | None = None) -> list[Offer]:
    """The automatic offers that may apply to these lines now, the codes presented, and the member's
    own coupons (`coupons`: None reads them, [] spends none); a bad code names its field (or, when
    `lenient`, is left out with a note).

    Caps are read only for the offers still in play: most quotes read none. They count the uses made
    and the uses other checkouts' live price locks hold; `notes` learns of offers those locks took."""
    notes = notes if notes is not None else []
    plan, catalog = ctx.plan, ctx.ref.catalog
    member_id = member.member_id if member else None
    local = ctx.local
    skus = {x.sku for x in lines}
    categories = {catalog[x.sku].category for x in lines}
    autos = [o for o in plan.automatic if may_reach(o.campaign, skus, categories)
             and conditions_hold(o.campaign, who, local, ctx.store_id, ctx.day_start)]
    presented: list[tuple[int, coupon_repo.CouponRow | Campaign]] = []
    for i, code in enumerate(codes):
        try:
            presented.append((i, _code_target(conn, plan.by_id, code, member_id, ctx.now, f"coupon_codes[{i}]")))
        except (Conflict, InvalidInput) as refused:
            if not lenient:
                raise
            notes.append(_note(code, None, f"not used: {refused.errors[0].reason if refused.errors else refused}"))
    if coupons is None:
        coupons = coupon_repo.usable_for(conn, member_id, ctx.now) if member_id is not None else []
    shown = {c.code for _, c in presented if isinstance(c, coupon_repo.CouponRow)}
    own = [c for c in coupons if c.campaign_id in plan.by_id and c.code not in shown]
    instances = [c.code for c in own] + list(shown)
    taken = locks_repo.held_codes(conn, instances, ctx.now, holder) if instances and _any_held(conn, ctx) else set()
    if taken:
        own = [c for c in own if c.code not in taken]
        for i, target in list(presented):
            if isinstance(target, coupon_repo.CouponRow) and target.code in taken:
                if not lenient:
                    raise Conflict(f"coupon {target.code} is held by another open checkout",
                                   [FieldError(f"coupon_codes[{i}]", "held by another lane's checkout")])
                presented.remove((i, target))
                notes.append(_note(target.code, None, "not used: held by another lane's checkout"))
    in_play = {o.offer_id for o in autos} | {c.campaign_id for c in own} | {c.campaign_id for _, c in presented}
    limited = sorted(plan.limited & in_play)
    used = campaign_repo.usage(conn, limited, ctx.day, member_id) if limited else {}
    held = locks_repo.held_uses(conn, limited, ctx.day, member_id, ctx.now, holder) \
        if limited and _any_held(conn, ctx) else {}
    left: dict[str, int | None] = {}
    for cid in limited:
        stored = plan.by_id[cid]
        made = used.get(cid)
        left[cid] = remaining(stored.campaign, stored.origin, made, member_id)
        h = held.get(cid)
        if h is not None and left[cid] is not None:
            counted = made or campaign_repo.Usage()
            with_held = campaign_repo.Usage(counted.total + h.total, counted.today + h.today, counted.member + h.member)
            before, left[cid] = left[cid], remaining(stored.campaign, stored.origin, with_held, member_id)
            if before and not left[cid]:
                c = stored.campaign
                notes.append(Note(offer_id=cid, name_zh=c.name_zh, name_en=c.name_en, applied=False,
                                  reason="the last uses went to another lane's open checkout"))
    offers = [o if o.offer_id not in left else msgspec.structs.replace(o, remaining=left[o.offer_id])
              for o in autos]
    for i, target in presented:
        if isinstance(target, coupon_repo.CouponRow):
            offer = _coupon_offer(plan.by_id[target.campaign_id].campaign, target, left)
        else:
            offer = Offer(offer_id=f"code:{target.issuance.code}", campaign=target, code=target.issuance.code,
                          expires_at=expires_at(target, ctx.tz, ctx.day_start), remaining=left.get(target.campaign_id))
        if offer.remaining == 0:
            if lenient:
                notes.append(_note(codes[i], offer.campaign, "not used: this offer is used up"))
                continue
            raise CapReached(f"{codes[i]} has reached its cap",
                             [FieldError(f"coupon_codes[{i}]", "this offer is used up")])
        offers.append(offer)
    offers.extend(_coupon_offer(plan.by_id[c.campaign_id].campaign, c, left) for c in own)
    return offers


def _note(code: str, campaign: Campaign | None, reason: str) -> Note:
    return Note(offer_id=f"code:{code}", name_zh=campaign.name_zh if campaign else code,
                name_en=campaign.name_en if campaign else code, applied=False, reason=reason)


def _any_held(conn: sqlite3.Connection, ctx: PricingContext) -> bool:
    """Whether any checkout holds anything now: most of the time none does, and counting is skipped."""
    return locks_repo.any_live(conn, ctx.now)


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


def flash_surplus(conn: sqlite3.Connection, offers: list[Offer], lines: list[CartLine], now: datetime,
                  holder: str | None = None, notes: list[Note] | None = None) -> dict[str, int]:
    """Stock above each flash SKU's threshold, less the units other checkouts' live price locks hold,
    for the SKUs of this cart, read in the caller's transaction (the writer's, on a sale or a quote
    that reserves). Only open flash offers reach here, so outside the flash window nothing is read.
    `notes` learns when other lanes' locks left this cart fewer flash units than it asks for."""
    in_cart: dict[str, int] = {}
    for x in lines:
        in_cart[x.sku] = in_cart.get(x.sku, 0) + x.qty
    threshold: dict[str, int] = {}
    flash_of: dict[str, Offer] = {}
    for o in offers:
        f = o.campaign.flash
        if f is not None:
            for sku in o.campaign.scope.skus or []:
                if sku in in_cart:
                    threshold[sku] = max(threshold.get(sku, 0), f.threshold)
                    flash_of.setdefault(sku, o)
    if not threshold:
        return {}
    stock = locks_repo.flash_stock(conn, list(threshold), now, holder)
    surplus: dict[str, int] = {}
    for sku, t in threshold.items():
        on_hand, held = stock.get(sku, (0, 0))
        before = max(0, (on_hand or 0) - t)
        surplus[sku] = max(0, before - held)
        if notes is not None and surplus[sku] < min(before, in_cart[sku]):
            c = flash_of[sku].campaign
            left = surplus[sku]
            reason = (f"the last flash {sku} went to another lane: list price" if left == 0 else
                      f"only {left} flash {sku} left, the rest are held by other lanes: list price beyond")
            notes.append(Note(offer_id=flash_of[sku].offer_id, name_zh=c.name_zh, name_en=c.name_en, applied=False,
                              reason=reason))
    return surplus
