"""Quote a checkout: who the customer is and what each line costs them, before payment, and the price
lock that holds it for the sale."""

from ..domain.clock import iso
from ..domain.errors import FieldError, OutOfStock
from ..domain.identity import payer_hash
from ..domain.ids import uuid7
from ..domain.models import CartLine, Member, PricedCart
from ..schemas import DiscountOut, LineOut, OfferNoteOut, QuoteIn, QuoteOut
from ..store import catalog as catalog_repo
from ..store import members as member_repo
from ..store.coupons import usable_for
from . import join, points, price_lock
from .coupons import with_coupons
from .members import find_ref, summary
from .pricing import PricingContext, cart_of, pricing_context
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


def check_stock(store: StoreRuntime, ctx: PricingContext, cart: list[CartLine]) -> None:
    """Refuse, before the customer pays, a cart past the counted stock (409 naming the line), unless
    the store sells past its counts. Counted stock is not reserved: the sale takes it."""
    if store.config.allow_negative_stock:
        return
    catalog = ctx.ref.catalog
    counted = [x.sku for x in cart if catalog[x.sku].track_stock]
    if not counted:
        return
    have = catalog_repo.on_hand_many(store.reader.conn, counted)
    wanted: dict[str, int] = {}
    for i, line in enumerate(cart):
        on_hand = have.get(line.sku)
        if on_hand is None:  # no count kept for it: nothing to check against
            continue
        wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
        if wanted[line.sku] > on_hand:
            raise OutOfStock(f"not enough {line.sku} on hand", [FieldError(f"lines[{i}].qty", f"only {on_hand} on hand")],
                             sku=line.sku)


def payer_member(store: StoreRuntime, data: QuoteIn) -> Member | None:
    """The member the quote's payer is linked to (with their consent), or None."""
    p = data.payer
    if p is None:
        return None
    return member_repo.by_payer(store.reader.conn, payer_hash(store.chain_key, p.provider, p.scope, p.payer_id))


async def quote(store: StoreRuntime, data: QuoteIn, member: Member | None = None) -> QuoteOut:
    """Price the cart for the member named (`member` when the caller already resolved `data.member`),
    or found through the payer the POS passed, or through the checkout's join, and lock the price:
    a cart that holds nothing scarce writes nothing."""
    ctx = pricing_context(store)
    ref, now = ctx.ref, ctx.now
    recognised = False
    if member is None and data.member is None:
        member = payer_member(store, data)
        recognised = member is not None
        if member is None:
            member = join.member_of_checkout(store, data.checkout_id)
    elif member is None:
        member = find_ref(store, data.member)  # type: ignore[arg-type]
    checkout_id = data.checkout_id or uuid7()
    cart = cart_of(ref, data.lines)
    check_stock(store, ctx, cart)
    conn = store.reader.conn
    # one read of the member's coupons serves both the pricing and the member shown on the display;
    # a member recognised by the payer alone does not spend their own coupons without them
    own = usable_for(conn, member.member_id, now) if member else []
    lock = await price_lock.lock_quote(store, ctx, data, checkout_id, cart, member, [] if recognised else own,
                                       recognised)
    result = lock.priced
    priced = points.preview(store, member, data.redeem_points, result.cart)
    out = QuoteOut(
        checkout_id=checkout_id, lane_id=data.lane_id, cashier_id=data.cashier_id, lines=lines_out(priced, ref),
        subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen, total_fen=priced.total_fen,
        applied=applied_out(priced), member=with_coupons(store, summary(member, ref.tiers), own) if member else None,
        join=None, quoted_at=iso(now), points_multiplier_pct=result.points_multiplier_pct,
        notes=[OfferNoteOut(offer_id=n.offer_id, name_zh=n.name_zh, name_en=n.name_en, applied=n.applied,
                            reason=n.reason) for n in result.notes],
        locked_until=iso(lock.locked_until))
    return join.present_checkout(store, out, now)  # the display's join QR for a non-member
