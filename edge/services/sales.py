"""Record and void sales: one transaction writes the sale, stock, points, tier, payer link and events."""

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import msgspec
from msgspec import UNSET

from ..domain.clock import iso
from ..domain.errors import FieldError, IdempotencyConflict, InvalidInput, NotFound, OutOfStock
from ..domain.events import (
    AppliedRule,
    MemberUpdated,
    PaymentIdentityLinked,
    SaleCompleted,
    SaleLine,
    SaleVoided,
)
from ..domain.identity import mask_phone, payer_hash
from ..domain.join_rate import JoinFacts, classify_sale
from ..domain.loyalty import points_earned, qualified_tier
from ..domain.models import CartLine, Member, PricedCart
from ..domain.pricing import Priced
from ..schemas import PaymentIn, PaymentOut, ReceiptOut, SaleIn, SaleOut
from ..store import catalog as stock_repo
from ..store import members as member_repo
from ..store import sales as repo
from ..store.join import checkout_join
from ..store.outbox import append_event, batched
from . import campaigns, member_links, personal_data, points, printing, referrals
from .checkout import applied_out, lines_out
from .join import receipt_offer
from .member_links import RECEIPT_LINK_LIFETIME
from .members import summary
from .pricing import PricingContext, cart_of, price_cart, pricing_context
from .runtime import StoreRuntime

_encode = msgspec.json.Encoder().encode
_decode_sale = msgspec.json.Decoder(SaleOut).decode


def request_hash(data: SaleIn) -> str:
    """Hash of the decoded request: key order and spacing do not make a replay look different."""
    return hashlib.sha256(_encode(data)).hexdigest()


def _replay(sale_id: str, stored_hash: str, new_hash: str, body: bytes | None) -> bytes:
    if stored_hash != new_hash:
        raise IdempotencyConflict(f"sale {sale_id} was recorded with a different body",
                                  [FieldError("sale_id", "already used for another sale")])
    assert body is not None
    return body


@dataclass(frozen=True, slots=True)
class SaleCustomer:
    """Who the sale is for: the member (named, joined through the checkout's QR, or recognised by the
    payer alone), and the payer's hash (never the raw payer id)."""

    member: Member | None
    recognised: bool  # found by the payer alone: their own coupons are not spent without them
    payer: str | None


@dataclass(frozen=True, slots=True)
class Loyalty:
    """What the sale did for its member: points earned (or held), a tier upgrade, the member after it."""

    member: Member | None
    earned: int = 0
    upgraded_to: str | None = None
    held_until: datetime | None = None


async def record_sale(store: StoreRuntime, data: SaleIn) -> bytes:
    """Record the sale once per sale_id and return the answer's bytes (a replay returns the first).

    Bytes, not a SaleOut: the answer is stored with the sale, in its transaction, so that a retry gets
    exactly the first answer; the till's handler passes them on as they are (api.responses.JsonAnswer).
    Checks that need no transaction run first; the steps run in one writer command, so the sale,
    its stock, points, caps and events commit together or not at all.
    """
    digest = request_hash(data)  # a retry is recognised inside the writer, where it cannot race the first
    ref = store.reference()
    try:
        cart = cart_of(ref, data.lines)
    except InvalidInput:
        # a retry of a sale recorded before its SKU left the catalog still gets its first answer
        if (seen := repo.recorded(store.reader.conn, data.sale_id)) is not None:
            return _replay(data.sale_id, seen[0], digest, seen[1])
        raise
    payer = payer_of(store, data.payment)
    points.check_redemption_request(data)

    def command(conn: sqlite3.Connection) -> bytes:
        with batched(conn):  # the sale's events in one statement
            if (seen := repo.recorded(conn, data.sale_id)) is not None:  # a retry: the first answer, or 409
                return _replay(data.sale_id, seen[0], digest, seen[1])
            ctx = pricing_context(store, ref)
            customer = resolve_customer(conn, data, payer)
            priced = price_sale(conn, ctx, cart, customer, data)
            check_charged(data.payment, priced.cart)
            taken = take_stock(conn, ctx, priced.cart, store.config.allow_negative_stock)
            loyalty = settle_loyalty(conn, ctx, customer, priced, data.sale_id, store.config.fen_per_point)
            linked = link_payer(conn, customer, data.payment.provider, ctx.now)
            answer = sale_answer(store, ctx, data, customer, priced, loyalty, linked)
            body = write_sale(conn, store, ctx, data, digest, customer, priced, taken, loyalty, answer)
            printing.enqueue_receipt(conn, data.sale_id, data.lane_id, ctx.now)  # in this transaction: never lost
            return body

    return await store.writer.run(command)


def payer_of(store: StoreRuntime, pay: PaymentIn) -> str | None:
    """The payer's hash with the chain key (None without a payer id); a payer id needs its provider."""
    if pay.payer_id is not None and pay.provider is None:
        raise InvalidInput.on("payment.provider", "a payer_id needs its provider")
    return payer_hash(store.chain_key, pay.provider, pay.scope, pay.payer_id) if pay.payer_id and pay.provider else None


def resolve_customer(conn: sqlite3.Connection, data: SaleIn, payer: str | None) -> SaleCustomer:
    """The member the lane named; else the one who joined through this checkout's QR; else the one
    the payer is linked to; else nobody."""
    if data.member_id is not None:
        member = member_repo.by_id(conn, data.member_id)
        if member is None or member.erased_at is not None:
            raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
        return SaleCustomer(member, False, payer)
    if data.checkout_id is not None and (joined := checkout_join(conn, data.checkout_id)) is not None:
        member = member_repo.by_id(conn, joined[0])
        return SaleCustomer(member if member is not None and member.erased_at is None else None, False, payer)
    if payer is not None:
        member = member_repo.by_payer(conn, payer)
        return SaleCustomer(member, member is not None, payer)
    return SaleCustomer(None, False, None)


def price_sale(conn: sqlite3.Connection, ctx: PricingContext, cart: list[CartLine], customer: SaleCustomer,
               data: SaleIn) -> Priced:
    """The cart priced inside the writer's transaction (caps and flash surplus as the lanes left
    them), then the member's points redemption taken off it."""
    member = customer.member
    result = price_cart(ctx, conn, cart, member, data.coupon_codes, [] if customer.recognised else None)
    if data.redeem_points and member is not None:
        redeemed = points.redeem(conn, ctx.ref.points_policy, member, data, result.cart, ctx.now)
        result = msgspec.structs.replace(result, cart=redeemed)
    return result


def check_charged(pay: PaymentIn, cart: PricedCart) -> None:
    """The amount the till says it charged, when it says, must be the edge's total."""
    if pay.amount_fen is not None and pay.amount_fen != cart.total_fen:
        raise InvalidInput.on("payment.amount_fen", f"does not match the sale total of {cart.total_fen} fen")


def take_stock(conn: sqlite3.Connection, ctx: PricingContext, cart: PricedCart, allow_negative: bool) -> list[int]:
    """Take counted SKUs off the shelf, one conditional UPDATE a line; the units taken per line.

    A counted SKU short of the line refuses the sale (409 naming the line) unless the store sells
    past its count; an uncounted SKU is never refused."""
    taken = []
    for i, line in enumerate(cart.lines):
        units = 0
        if ctx.ref.catalog[line.sku].track_stock:
            if stock_repo.take_stock(conn, line.sku, line.qty, allow_negative, ctx.now) is not None:
                units = line.qty
            elif (have := stock_repo.on_hand(conn, line.sku)) is not None:
                raise OutOfStock(f"not enough {line.sku} on hand",
                                 [FieldError(f"lines[{i}].qty", f"only {have} on hand")], sku=line.sku)
        taken.append(units)
    return taken


def settle_loyalty(conn: sqlite3.Connection, ctx: PricingContext, customer: SaleCustomer, priced: Priced,
                   sale_id: str, fen_per_point: int) -> Loyalty:
    """Points for what the member paid (held or at once), a tier upgrade when the spend qualifies,
    and the member's spend and tier updated; nothing for a non-member."""
    member = customer.member
    if member is None:
        return Loyalty(None)
    ref, total, now = ctx.ref, priced.cart.total_fen, ctx.now
    tier = ref.tiers[member.tier_id]
    earned = points_earned(total, tier, fen_per_point) * priced.points_multiplier_pct // 100
    # `member` was read in this transaction, so its spend plus this sale is the new spend
    better = qualified_tier(tier, member.lifetime_spend_fen + total, ref.tiers)
    upgraded = None
    if better.tier_id != tier.tier_id:
        upgraded = better.tier_id
        append_event(conn, MemberUpdated(member_id=member.member_id, tier_id=better.tier_id, reason="tier_upgrade",
                                         sale_id=sale_id), now)
    held_until = points.earn(conn, ref.points_policy, member.member_id, earned, sale_id, now)
    settled = member_repo.settle_sale(conn, member.member_id, total, better.tier_id, now)
    return Loyalty(settled, earned, upgraded, held_until)


def link_payer(conn: sqlite3.Connection, customer: SaleCustomer, provider: str | None, now: datetime) -> bool:
    """Link the payer to the member, with the member's payment-link consent; True when newly linked."""
    member, payer = customer.member, customer.payer
    if member is None or payer is None or not member.payment_link_consent or customer.recognised:
        return False
    linked = member_repo.link_payer(conn, payer, member.member_id, provider or "", now)
    if linked:
        append_event(conn, PaymentIdentityLinked(
            member_id=member.member_id, payer_hash=None, provider=provider,
            personal=personal_data.for_payer(conn, payer, now, {"payer_hash": payer})), now)
    return linked


def sale_answer(store: StoreRuntime, ctx: PricingContext, data: SaleIn, customer: SaleCustomer, priced: Priced,
                loyalty: Loyalty, linked: bool) -> SaleOut:
    """The answer the lane gets (and every replay of this sale_id gets again)."""
    cart, member, now = priced.cart, loyalty.member, ctx.now
    cfg = store.config
    return SaleOut(
        sale_id=data.sale_id, status="completed", checkout_id=data.checkout_id, lane_id=data.lane_id,
        cashier_id=data.cashier_id, member=summary(member, ctx.ref.tiers) if member else None,
        lines=lines_out(cart, ctx.ref), subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen,
        total_fen=cart.total_fen, applied=applied_out(cart), points_earned=loyalty.earned,
        tier_upgraded_to=loyalty.upgraded_to,
        payment=PaymentOut(method=data.payment.method, provider=data.payment.provider, amount_fen=cart.total_fen,
                           payer_linked=linked, recognised_member=customer.recognised),
        receipt=ReceiptOut(store_id=cfg.store_id, store_name=cfg.name, business_day=ctx.day,
                           printed_member=mask_phone(member.phone_e164 or "") if member else None,
                           join=None if member else receipt_offer(store, data.sale_id, now),
                           member_page=member_links.page_link(store, member.member_id, now, RECEIPT_LINK_LIFETIME)
                           if member else None),
        created_at=iso(now), points_redeemed=data.redeem_points if member is not None else 0,
        points_pending_until=iso(loyalty.held_until) if loyalty.held_until is not None else None)


def write_sale(conn: sqlite3.Connection, store: StoreRuntime, ctx: PricingContext, data: SaleIn, digest: str,
               customer: SaleCustomer, priced: Priced, taken: list[int], loyalty: Loyalty, answer: SaleOut) -> bytes:
    """The sale row with its answer's bytes (what a replay returns), its lines, the caps and coupons it
    used, a referral reward on the member's first sale, and sale.completed; returns the answer's bytes."""
    cart, member, now, day = priced.cart, loyalty.member, ctx.now, ctx.day
    member_id = member.member_id if member else None
    join = JoinFacts(member.join_source, member.join_checkout_id, member.join_receipt_sale_id) if member else None
    nonmember_at_start, joined_source = classify_sale(data.sale_id, data.checkout_id, member_id, join)
    pay = data.payment
    body = _encode(answer)
    repo.insert_sale(conn, repo.SaleRow(
        sale_id=data.sale_id, request_hash=digest, status="completed", checkout_id=data.checkout_id,
        lane_id=data.lane_id, cashier_id=data.cashier_id, member_id=member_id,
        subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen, total_fen=cart.total_fen,
        points_earned=loyalty.earned, payer_hash=customer.payer, payment_method=pay.method,
        payment_provider=pay.provider, created_at=iso(now), business_day=day, nonmember_at_start=nonmember_at_start,
        joined_source=joined_source, response=body),
        [(data.sale_id, n, ln.sku, ln.qty, ln.unit_price_fen, ln.discount_fen, ln.total_fen, taken[n])
         for n, ln in enumerate(cart.lines)])
    campaigns.record_uses(conn, data.sale_id, priced, member_id, day, now)
    if member is not None:
        referrals.reward_first_sale(conn, store, member, data.sale_id, now)
    append_event(conn, SaleCompleted(
        sale_id=data.sale_id, store_id=ctx.store_id, business_day=day, created_at=iso(now),
        lane_id=data.lane_id, cashier_id=data.cashier_id, checkout_id=data.checkout_id,
        member_id=member_id, recognised_by_payer=customer.recognised,
        lines=[SaleLine(sku=ln.sku, qty=ln.qty, unit_price_fen=ln.unit_price_fen, discount_fen=ln.discount_fen,
                        total_fen=ln.total_fen) for ln in cart.lines],
        subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen, total_fen=cart.total_fen,
        applied=[AppliedRule(rule_id=d.rule_id, amount_fen=d.amount_fen) for d in cart.applied],
        points_earned=loyalty.earned, payment_method=pay.method, payment_provider=pay.provider,
        payer_hash=None, nonmember_at_start=nonmember_at_start, joined_source=joined_source,
        personal=personal_data.for_payer(conn, customer.payer, now, {"payer_hash": customer.payer})
        if customer.payer else UNSET), now)
    return body


async def void_sale(store: StoreRuntime, sale_id: str, reason: str) -> bytes:
    """Void a completed sale: stock and points go back; voiding twice answers the voided sale again."""
    ref = store.reference()

    def command(conn: sqlite3.Connection) -> bytes:
        sale = repo.get_sale(conn, sale_id)
        if sale is None:
            raise NotFound(f"no sale {sale_id}", [FieldError("sale_id", "no such sale")])
        if sale.status == "voided":
            return sale.response
        now = store.clock()
        for sku, units in repo.stock_taken(conn, sale_id):
            stock_repo.give_back_stock(conn, sku, units, now)
        campaigns.give_back(conn, sale_id, now)
        referrals.take_back(conn, sale_id, now)
        member_out = None
        if sale.member_id is not None:
            member_repo.add_spend(conn, sale.member_id, -sale.total_fen, now)
            points.take_back(conn, sale_id, sale.member_id, sale.points_earned, now)
            member = member_repo.by_id(conn, sale.member_id)
            member_out = summary(member, ref.tiers) if member and member.erased_at is None else None
        voided = msgspec.structs.replace(_decode_sale(sale.response), status="voided", voided_at=iso(now),
                                         void_reason=reason, member=member_out)
        body = _encode(voided)
        repo.mark_voided(conn, sale_id, reason, body, now)
        printing.enqueue_void_slip(conn, sale_id, sale.lane_id, now)
        append_event(conn, SaleVoided(sale_id=sale_id, store_id=store.config.store_id, business_day=sale.business_day,
                                      voided_at=iso(now), reason=reason, member_id=sale.member_id,
                                      total_fen=sale.total_fen, points_reversed=sale.points_earned), now)
        return body

    return await store.writer.run(command)
