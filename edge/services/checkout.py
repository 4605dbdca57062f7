"""Quote a checkout: who the customer is and what each line costs them, before payment."""

from datetime import datetime

from ..domain.clock import iso
from ..domain.ids import uuid7
from ..domain.models import Member, PricedCart, PricingMember
from ..domain.pricing import price_cart, resolve_lines
from ..schemas import DiscountOut, LineIn, LineOut, QuoteIn, QuoteOut
from . import join
from .members import find_ref, summary
from .runtime import Reference, Store


def price_lines(store: Store, ref: Reference, lines: list[LineIn], member: Member | None, now: datetime) -> PricedCart:
    """Price requested lines for a member (or nobody) at `now` in the store's zone."""
    cart = resolve_lines([(x.sku, x.qty, x.unit_price_fen) for x in lines], ref.catalog)
    who = PricingMember(member.member_id, member.tier_id) if member is not None else None
    return price_cart(cart, ref.catalog, who, ref.tiers, ref.member_days, now, store.tz)


def lines_out(priced: PricedCart, ref: Reference) -> list[LineOut]:
    out = []
    for line in priced.lines:
        item = ref.catalog[line.sku]
        out.append(LineOut(sku=line.sku, name_zh=item.name_zh, name_en=item.name_en, qty=line.qty,
                           unit_price_fen=line.unit_price_fen, subtotal_fen=line.subtotal_fen,
                           discount_fen=line.discount_fen, total_fen=line.total_fen,
                           discounts=[DiscountOut(d.rule_id, d.name_zh, d.name_en, d.amount_fen)
                                      for d in line.discounts]))
    return out


def applied_out(priced: PricedCart) -> list[DiscountOut]:
    return [DiscountOut(d.rule_id, d.name_zh, d.name_en, d.amount_fen) for d in priced.applied]


def quote(store: Store, data: QuoteIn) -> QuoteOut:
    """Price the cart for the member named (or found through the checkout's join); writes nothing."""
    now = store.clock()
    ref = store.reference()
    member = find_ref(store, data.member) if data.member is not None else join.member_of_checkout(store,
                                                                                                 data.checkout_id)
    checkout_id = data.checkout_id or uuid7()
    priced = price_lines(store, ref, data.lines, member, now)
    out = QuoteOut(
        checkout_id=checkout_id, lane_id=data.lane_id, cashier_id=data.cashier_id, lines=lines_out(priced, ref),
        subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen, total_fen=priced.total_fen,
        applied=applied_out(priced), member=summary(member, ref.tiers) if member else None, join=None,
        quoted_at=iso(now))
    return join.present_checkout(store, out, now)  # the display's join QR for a non-member
