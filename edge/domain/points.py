"""Points as money off, held points, and expiry: the store's points policy as pure rules."""

from typing import Annotated

import msgspec
from msgspec import Meta

from .models import Discount, PricedCart, PricedLine
from .money import spread

POINTS_RULE = "points"


class PointsPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    fen_per_point: Annotated[int, Meta(ge=1, le=10_000)] = 1  # a point's worth when redeemed: 100 points = ¥1
    min_redeem: Annotated[int, Meta(ge=1, le=10**9)] = 100  # smallest redemption
    pending_days: Annotated[int, Meta(ge=0, le=365)] = 7  # earned points wait this long (a return takes them back)
    expire_days: Annotated[int, Meta(ge=1, le=3650)] = 365  # each accrual expires this long after release


def confirms(phone_e164: str | None, confirmation: str | None) -> bool:
    """The member's own confirmation: the last four digits of their phone, typed by them."""
    return bool(phone_e164 and confirmation and len(confirmation) == 4 and phone_e164.endswith(confirmation))


def take_points(cart: PricedCart, amount_fen: int) -> PricedCart:
    """Take a points redemption off the cart as the last order-level discount, spread by largest remainder."""
    if amount_fen <= 0:
        return cart
    if amount_fen > cart.total_fen:
        raise ValueError("a redemption cannot exceed the total")
    shares = spread(amount_fen, [line.total_fen for line in cart.lines])
    lines = []
    for line, share in zip(cart.lines, shares, strict=True):
        if share:
            line = PricedLine(sku=line.sku, qty=line.qty, unit_price_fen=line.unit_price_fen,
                              subtotal_fen=line.subtotal_fen, discount_fen=line.discount_fen + share,
                              total_fen=line.total_fen - share,
                              discounts=[*line.discounts, Discount(POINTS_RULE, "积分抵扣", "Points", share)])
        lines.append(line)
    return PricedCart(lines=lines, subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen + amount_fen,
                      total_fen=cart.total_fen - amount_fen,
                      applied=[*cart.applied, Discount(POINTS_RULE, "积分抵扣", "Points", amount_fen)])


def points_to_expire(accrued_before_cutoff: int, spent: int, expired: int) -> int:
    """First in, first out: points accrued before the cutoff not yet spent or expired expire now."""
    return max(0, accrued_before_cutoff - spent - expired)
