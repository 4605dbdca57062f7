"""Price a cart: tier discount and member-day boost, each explained, half-up per line.

Order (DESIGN.md, Pricing): item-level offers, then the tier discount with the member-day boost,
then order-level coupons. This module holds the member steps; campaigns plug in beside them.
"""

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from .errors import Problems
from .models import CartLine, Discount, MemberDayRule, PricedCart, PricedLine, PricingMember, Sku, Tier
from .money import BPS, bps_of


def member_day_applies(rule: MemberDayRule, member: PricingMember, now: datetime, tz: ZoneInfo) -> bool:
    """True when `now`, read in the store's zone, falls on one of the rule's weekdays for this tier."""
    if rule.tiers is not None and member.tier_id not in rule.tiers:
        return False
    return now.astimezone(tz).isoweekday() in rule.weekdays


def resolve_lines(
    requested: list[tuple[str, int, int | None]], catalog: Mapping[str, Sku]
) -> list[CartLine]:
    """Turn (sku, qty, price override) into cart lines at catalog price; every unknown SKU is named."""
    problems = Problems()
    lines = []
    for i, (sku, qty, override) in enumerate(requested):
        item = catalog.get(sku)
        if item is None:
            problems.add(f"lines[{i}].sku", f"unknown SKU {sku!r}")
            continue
        lines.append(CartLine(sku, qty, item.price_fen if override is None else override))
    problems.raise_if_any()
    return lines


def price_cart(
    lines: list[CartLine],
    catalog: Mapping[str, Sku],
    member: PricingMember | None,
    tiers: Mapping[str, Tier],
    member_days: list[MemberDayRule],
    now: datetime,
    tz: ZoneInfo,
) -> PricedCart:
    """Return the priced cart: every discount named per line and summed per rule."""
    rules: list[tuple[str, str, str, int]] = []  # rule id, zh, en, bps
    if member is not None:
        tier = tiers.get(member.tier_id)
        if tier is not None and tier.discount_bps:
            rules.append((f"tier:{tier.tier_id}", f"{tier.name_zh}会员折扣", f"{tier.name_en} discount",
                          tier.discount_bps))
        for rule in sorted(member_days, key=lambda r: r.campaign_id):
            if rule.boost_bps and member_day_applies(rule, member, now, tz):
                rules.append((f"member_day:{rule.campaign_id}", rule.name_zh, rule.name_en, rule.boost_bps))

    priced: list[PricedLine] = []
    totals: dict[str, int] = {}
    for line in lines:
        subtotal = line.qty * line.unit_price_fen
        discounts: list[Discount] = []
        if catalog[line.sku].member_discount:
            room_bps = BPS  # the rules together never take more than the whole line
            taken = 0
            for rule_id, zh, en, bps in rules:
                use = min(bps, room_bps)
                room_bps -= use
                amount = min(bps_of(subtotal, use), subtotal - taken)
                if amount:
                    discounts.append(Discount(rule_id, zh, en, amount))
                    totals[rule_id] = totals.get(rule_id, 0) + amount
                    taken += amount
        discount = sum(d.amount_fen for d in discounts)
        priced.append(PricedLine(sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
                                 subtotal_fen=subtotal, discount_fen=discount, total_fen=subtotal - discount,
                                 discounts=discounts))
    applied = [Discount(rule_id, zh, en, totals[rule_id]) for rule_id, zh, en, _ in rules if rule_id in totals]
    subtotal_fen = sum(p.subtotal_fen for p in priced)
    discount_fen = sum(p.discount_fen for p in priced)
    return PricedCart(lines=priced, subtotal_fen=subtotal_fen, discount_fen=discount_fen,
                      total_fen=subtotal_fen - discount_fen, applied=applied)
