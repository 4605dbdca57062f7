"""Campaigns at the till: which offers a cart may use (caps counted in the caller's transaction),
pricing with them, recording their uses on a sale; and the manager's list and create."""

import sqlite3
import weakref
from datetime import datetime

import msgspec

from ..domain.campaigns import (
    Automatic,
    Campaign,
    CouponInstances,
    Customer,
    Limits,
    SharedCode,
    check_campaign,
    conditions_hold,
    expires_at,
    may_reach,
)
from ..domain.clock import iso, parse_iso
from ..domain.errors import CapReached, Conflict, FieldError, InvalidInput
from ..domain.events import CampaignSaved, CampaignUsed, CampaignUseVoided, CouponRedeemed, CouponRestored
from ..domain.join_rate import business_day
from ..domain.models import CartLine, Member
from ..domain.pricing import Offer, Priced, price_order
from ..schemas import CampaignOut
from ..store import campaigns as repo
from ..store import catalog as catalog_repo
from ..store import coupons as coupon_repo
from ..store.outbox import append_event
from .runtime import Reference, Store, bump_reference

_NO_LIMITS = Limits()
def customer_of(member: Member | None, store: Store) -> Customer:
    if member is None:
        return Customer()
    joined = parse_iso(member.joined_at).astimezone(store.tz).date().isoformat()
    return Customer(member_id=member.member_id, tier_id=member.tier_id, birthday=member.birthday, joined_on=joined)


def remaining(c: Campaign, origin: str, used: repo.Usage | None, member_id: str | None) -> int | None:
    """Uses left under every limit; None when nothing limits it.

    An HQ campaign's `total` is chain-wide: this store spends only its lease (`store_cap`) and
    nothing at all when HQ gave it none, so the chain can never overspend while offline.
    """
    used = used or repo.Usage()
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


class OfferPlan:
    """The store's automatic offers, built once per reference version: a quote only filters them."""

    def __init__(self, stored: list[repo.StoredCampaign], tz) -> None:  # noqa: ANN001 - ZoneInfo
        self.by_id = {s.campaign.campaign_id: s for s in stored}
        self.automatic = [Offer(offer_id=s.campaign.campaign_id, campaign=s.campaign,
                                expires_at=expires_at(s.campaign, tz))
                          for s in stored if isinstance(s.campaign.issuance, Automatic) and s.campaign.active]
        self.limited = frozenset(s.campaign.campaign_id for s in stored
                                 if s.campaign.limits != _NO_LIMITS or s.campaign.store_cap is not None)


_plans: "weakref.WeakKeyDictionary[Store, tuple[str, OfferPlan]]" = weakref.WeakKeyDictionary()


def offer_plan(store: Store, ref: Reference) -> OfferPlan:
    """The store's campaigns, decoded and planned once per reference version (a campaign change bumps it)."""
    hit = _plans.get(store)
    if hit is not None and hit[0] == ref.version:
        return hit[1]
    plan = OfferPlan(repo.load_campaigns(store.reader.conn), store.tz)
    _plans[store] = (ref.version, plan)
    return plan


def build_offers(store: Store, conn: sqlite3.Connection, ref: Reference, member: Member | None,
                 codes: list[str], now: datetime, day: str, lines: list[CartLine],
                 coupons: list[coupon_repo.CouponRow] | None = None, who: Customer | None = None) -> list[Offer]:
    """The automatic offers that may apply to these lines now, the codes presented, and the member's
    own coupons (`coupons`: None reads them, [] spends none); a bad code names its field.

    Caps are read only for the offers still in play: most quotes read none."""
    plan = offer_plan(store, ref)
    member_id = member.member_id if member else None
    who = who or customer_of(member, store)
    local = now.astimezone(store.tz)
    skus = {x.sku for x in lines}
    categories = {ref.catalog[x.sku].category for x in lines}
    cfg = store.config
    autos = [o for o in plan.automatic if may_reach(o.campaign, skus, categories)
             and conditions_hold(o.campaign, who, local, cfg.store_id, cfg.day_start)]
    presented = [_code_target(conn, plan.by_id, code, member_id, now, f"coupon_codes[{i}]")
                 for i, code in enumerate(codes)]
    if coupons is None:
        coupons = coupon_repo.usable_for(conn, member_id, now) if member_id is not None else []
    shown = {c.code for c in presented if isinstance(c, coupon_repo.CouponRow)}
    own = [c for c in coupons if c.campaign_id in plan.by_id and c.code not in shown]
    in_play = {o.offer_id for o in autos} | {c.campaign_id for c in own} | {c.campaign_id for c in presented}
    limited = sorted(plan.limited & in_play)
    used = repo.usage(conn, limited, day, member_id) if limited else {}
    left = {cid: remaining(plan.by_id[cid].campaign, plan.by_id[cid].origin, used.get(cid), member_id)
            for cid in limited}
    offers = [o if o.offer_id not in left else msgspec.structs.replace(o, remaining=left[o.offer_id])
              for o in autos]
    for i, target in enumerate(presented):
        if isinstance(target, coupon_repo.CouponRow):
            offer = _coupon_offer(plan.by_id[target.campaign_id].campaign, target, left)
        else:
            offer = Offer(offer_id=f"code:{target.issuance.code}", campaign=target, code=target.issuance.code,
                          expires_at=expires_at(target, store.tz), remaining=left.get(target.campaign_id))
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


def _code_target(conn: sqlite3.Connection, by_id: dict[str, repo.StoredCampaign], code: str, member_id: str | None,
                 now: datetime, field: str) -> "coupon_repo.CouponRow | Campaign":
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


def price(store: Store, conn: sqlite3.Connection, ref: Reference, lines: list[CartLine], member: Member | None,
          codes: list[str], now: datetime, coupons: list[coupon_repo.CouponRow] | None = None) -> Priced:
    """Price the cart with every campaign that may apply, counting caps through `conn`.

    `coupons`: the member's usable coupons when the caller already read them; [] for a member
    recognised by payment alone, whose own coupons are not spent without them at the till (codes
    presented still are); None reads them.
    """
    cfg = store.config
    tz = cfg.tz
    day = business_day(now, tz, cfg.day_start).isoformat()
    who = customer_of(member, store)
    offers = build_offers(store, conn, ref, member, codes, now, day, lines, coupons, who)
    return price_order(lines, ref.catalog, who, ref.tiers, offers, flash_surplus(conn, offers, lines), now, tz,
                       cfg.store_id, cfg.day_start)


def record_uses(conn: sqlite3.Connection, store: Store, sale_id: str, priced: Priced, member: Member | None,
                day: str, now: datetime) -> None:
    """In the sale's transaction: count each use against its caps and redeem the coupons it used."""
    member_id = member.member_id if member else None
    for use in priced.uses:
        repo.record_use(conn, sale_id, use.offer_id, use.campaign_id, use.code, member_id, day, use.units,
                        use.amount_fen, now)
        # what HQ needs to reconcile a chain-wide cap against the leases it gave out
        append_event(conn, CampaignUsed(campaign_id=use.campaign_id, sale_id=sale_id, offer_id=use.offer_id,
                                        code=use.code, units=use.units, amount_fen=use.amount_fen,
                                        business_day=day), now)
        if use.offer_id.startswith("coupon:"):
            assert use.code is not None
            if not coupon_repo.redeem(conn, use.code, sale_id, now):  # another lane used it a moment ago
                raise Conflict(f"coupon {use.code} was already used", [FieldError("coupon_codes", "already used")])
            append_event(conn, CouponRedeemed(code=use.code, campaign_id=use.campaign_id, member_id=member_id,
                                              sale_id=sale_id, amount_fen=use.amount_fen), now)


def give_back(conn: sqlite3.Connection, sale_id: str, now: datetime) -> None:
    """In the void's transaction: the sale's uses leave the counters and its coupons are usable again."""
    for campaign_id, code, units, amount in repo.uses_of_sale(conn, sale_id):
        append_event(conn, CampaignUseVoided(campaign_id=campaign_id, sale_id=sale_id, code=code, units=units,
                                             amount_fen=amount), now)
    repo.void_uses(conn, sale_id)
    for coupon in coupon_repo.restore_for_sale(conn, sale_id):
        append_event(conn, CouponRestored(code=coupon.code, campaign_id=coupon.campaign_id,
                                          member_id=coupon.member_id, sale_id=sale_id), now)


# --- the manager's campaigns -------------------------------------------------------------------------

def campaign_out(s: repo.StoredCampaign) -> CampaignOut:
    return CampaignOut(campaign=s.campaign, origin=s.origin, updated_at=s.updated_at)


def list_campaigns(store: Store) -> list[CampaignOut]:
    return [campaign_out(s) for s in repo.load_campaigns(store.reader.conn)]


async def save_campaign(store: Store, campaign: Campaign) -> tuple[CampaignOut, bool]:
    """Create or replace a local campaign; HQ's campaigns are not changed here. Returns (campaign, created)."""
    check_campaign(campaign)

    def command(conn: sqlite3.Connection) -> tuple[CampaignOut, bool]:
        now = store.clock()
        origin = repo.origin_of(conn, campaign.campaign_id)
        if origin == "hq":
            raise Conflict("HQ owns this campaign", [FieldError("campaign_id", "an HQ campaign: change it at HQ")])
        catalog_repo.upsert_campaign(conn, campaign.campaign_id, campaign.kind, msgspec.json.encode(campaign),
                                     "local", now)
        bump_reference(conn)
        append_event(conn, CampaignSaved(campaign_id=campaign.campaign_id, origin="local",
                                         campaign=msgspec.to_builtins(campaign)), now)
        return CampaignOut(campaign=campaign, origin="local", updated_at=iso(now)), origin is None

    return await store.writer.run(command)
