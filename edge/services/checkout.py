"""Quote a checkout: who the customer is and what each line costs them, before payment."""

from ..domain.clock import iso
from ..domain.ids import uuid7
from ..domain.models import Member, PricedCart
from ..schemas import DiscountOut, LineOut, OfferNoteOut, QuoteIn, QuoteOut
from ..store.coupons import usable_for
from . import join, points
from .coupons import with_coupons
from .members import find_ref, summary
from .pricing import cart_of, price_cart, pricing_context
from .runtime import Reference, StoreRuntime


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


def quote(store: StoreRuntime, data: QuoteIn, member: Member | None = None) -> QuoteOut:
    """Price the cart for the member named (`member` when the caller already resolved `data.member`),
    or found through the checkout's join; writes nothing."""
    ctx = pricing_context(store)
    ref, now = ctx.ref, ctx.now
    if member is None:
        member = find_ref(store, data.member) if data.member is not None else join.member_of_checkout(
            store, data.checkout_id)
    checkout_id = data.checkout_id or uuid7()
    conn = store.reader.conn
    # one read of the member's coupons serves both the pricing and the member shown on the display
    own = usable_for(conn, member.member_id, now) if member else []
    result = price_cart(ctx, conn, cart_of(ref, data.lines), member, data.coupon_codes, own)
    priced = points.preview(store, member, data.redeem_points, result.cart)
    out = QuoteOut(
        checkout_id=checkout_id, lane_id=data.lane_id, cashier_id=data.cashier_id, lines=lines_out(priced, ref),
        subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen, total_fen=priced.total_fen,
        applied=applied_out(priced), member=with_coupons(store, summary(member, ref.tiers), own) if member else None,
        join=None, quoted_at=iso(now), points_multiplier_pct=result.points_multiplier_pct,
        notes=[OfferNoteOut(offer_id=n.offer_id, name_zh=n.name_zh, name_en=n.name_en, applied=n.applied,
                            reason=n.reason) for n in result.notes])
    return join.present_checkout(store, out, now)  # the display's join QR for a non-member
