"""Record and void sales: one transaction writes the sale, stock, points, tier, payer link, the
exceptions and events.

What the till charged is what is recorded, once: a sale on its checkout's
live price lock takes the locked price; any other is priced when it is recorded. The sale is never
refused for price, stock or caps: a difference from the edge's price, an offline ring-up and stock
taken below zero each become an exception for the manager.
"""

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from msgspec import UNSET

from ..domain.clock import iso, parse_iso
from ..domain.errors import FieldError, Forbidden, IdempotencyConflict, InvalidInput, NotFound
from ..domain.events import (
    AppliedRule,
    MemberUpdated,
    PaymentIdentityLinked,
    SaleCompleted,
    SaleException,
    SaleLine,
    SaleVoided,
)
from ..domain.identity import mask_phone, payer_hash
from ..domain.ids import uuid7
from ..domain.join_rate import JoinFacts, classify_sale
from ..domain.loyalty import points_earned, qualified_tier
from ..domain.models import CartLine, Member, PricedCart
from ..domain.price_lock import PriceLock, explain_charge, price_state, takes_lock
from ..domain.pricing import Priced
from ..phones import normalise_phone
from ..schemas import EnrolIn, PaymentIn, PaymentOut, ReceiptOut, SaleExceptionOut, SaleIn, SaleOut
from ..store import catalog as stock_repo
from ..store import exceptions as exception_repo
from ..store import members as member_repo
from ..store import sales as repo
from ..store.join import checkout_join
from ..store.outbox import append_event, batched
from . import campaigns, member_links, personal_data, points, price_lock, printing, referrals
from .checkout import applied_out, lines_out
from .join import receipt_offer
from .member_links import RECEIPT_LINK_LIFETIME
from .members import enrol_in, summary
from .pricing import PricingContext, cart_of, price_cart, pricing_context
from .runtime import StoreRuntime

FUTURE_TOLERANCE = timedelta(minutes=5)  # a till clock this far ahead is believed; further, the edge's time is used

_encode = msgspec.json.Encoder().encode
_decode_sale = msgspec.json.Decoder(SaleOut).decode


# Fields SaleIn gained later, left out of the hash while they hold their defaults: a till retrying a
# sale recorded before they existed must still get its first answer, not a 409.
_LATER_FIELDS = {"offline": False, "rung_up_at": None, "enrolment": None}


def request_hash(data: SaleIn) -> str:
    """Hash of the decoded request: key order and spacing do not make a replay look different."""
    if all(getattr(data, f) == d for f, d in _LATER_FIELDS.items()):
        body = msgspec.to_builtins(data)
        for f in _LATER_FIELDS:
            del body[f]
        return hashlib.sha256(_encode(body)).hexdigest()
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
    attached_only: bool = False  # recognised at payment: the member is attached, the price stays the till's


@dataclass(frozen=True, slots=True)
class Charge:
    """What the till charged against the edge's price, and the exception that explains them."""

    edge_total_fen: int
    charged_fen: int
    exception: SaleException | None


@dataclass(frozen=True, slots=True)
class Loyalty:
    """What the sale did for its member: points earned (or held), a tier upgrade, the member after it."""

    member: Member | None
    earned: int = 0
    upgraded_to: str | None = None
    held_until: datetime | None = None


async def record_sale(store: StoreRuntime, data: SaleIn, key_id: str | None = None) -> bytes:
    """Record the sale once per sale_id and return the answer's bytes (a replay returns the first).

    Bytes, not a SaleOut: the answer is stored with the sale, in its transaction, so that a retry gets
    exactly the first answer; the till's handler passes them on as they are (api.responses.JsonAnswer).
    Checks that need no transaction run first; the steps run in one writer command, so the sale,
    its stock, points, caps, exceptions and events commit together or not at all. `key_id`: the lane
    key recording it (a lane voids only its own sales).
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
    rung_up = rung_up_at(data)
    payer = payer_of(store, data.payment)
    points.check_redemption_request(data)
    enrolment = enrolment_of(store, data)
    key = price_lock.key_of(data.lines, data.coupon_codes, data.redeem_points)

    def command(conn: sqlite3.Connection) -> bytes:
        with batched(conn):  # the sale's events in one statement
            if (seen := repo.recorded(conn, data.sale_id)) is not None:  # a retry: the first answer, or 409
                return _replay(data.sale_id, seen[0], digest, seen[1])
            now = store.clock()
            ctx = pricing_context(store, ref, now if rung_up is None else min(rung_up, now + FUTURE_TOLERANCE))
            lock = price_lock.lock_for_sale(conn, store, data.checkout_id, data.lane_id)
            sale = data
            if lock is not None:
                price_lock.consume(conn, store, lock)  # spent by this sale, or released to re-price
                if data.checkout_id is None:  # the lane's open checkout, if this is the cart it quoted
                    if takes_lock(lock, key, data.member_id, now):
                        sale = msgspec.structs.replace(data, checkout_id=lock.checkout_id)
                    else:  # the lane moved on: that quote, and who it was for, are not this sale's
                        lock = None
            customer = resolve_customer(conn, sale, payer, lock, now, enrolled(conn, store, sale, enrolment))
            locked = takes_lock(lock, key, sale.member_id, now)
            priced = price_sale(conn, ctx, cart, customer, sale, lock.priced if locked and lock else None)
            charge = charge_of(sale, priced.cart, price_state(lock, key, sale.member_id, now), iso(ctx.now))
            taken = take_stock(conn, ctx, priced.cart)
            loyalty = settle_loyalty(conn, ctx, customer, priced, sale.sale_id, store.config.fen_per_point,
                                     charge.charged_fen)
            linked = link_payer(conn, customer, sale.payment.provider, ctx.now)
            answer = sale_answer(store, ctx, sale, customer, priced, loyalty, linked, charge)
            body = write_sale(conn, store, ctx, sale, digest, customer, priced, taken, loyalty, answer, charge,
                              key_id)
            printing.enqueue_receipt(conn, sale.sale_id, sale.lane_id, ctx.now)  # in this transaction: never lost
            return body

    return await store.writer.run(command)


def rung_up_at(data: SaleIn) -> datetime | None:
    """When an offline sale was rung up (its business day and rules); None for a sale made online."""
    if not data.offline:
        return None
    if data.rung_up_at is None:
        raise InvalidInput.on("rung_up_at", "an offline sale says when it was rung up (RFC 3339)")
    try:
        return parse_iso(data.rung_up_at)
    except ValueError:
        raise InvalidInput.on("rung_up_at", "not an RFC 3339 time") from None


def enrolment_of(store: StoreRuntime, data: SaleIn) -> tuple[EnrolIn, str] | None:
    """The enrolment a sale carries (the customer joins at this checkout) and its phone in E.164."""
    e = data.enrolment
    if e is None:
        return None
    if data.member_id is not None:
        raise InvalidInput.on("enrolment", "a sale names a member_id or carries an enrolment, not both")
    if not e.consent.granted:
        raise InvalidInput.on("enrolment.consent.granted", "membership needs the customer's consent")
    phone = normalise_phone(e.phone, store.config.region, "enrolment.phone")
    return EnrolIn(phone=phone, consent=e.consent, source="cashier", lane_id=data.lane_id,
                   cashier_id=data.cashier_id, name=e.name, birthday=e.birthday,
                   checkout_id=data.checkout_id or data.sale_id), phone


def enrolled(conn: sqlite3.Connection, store: StoreRuntime, data: SaleIn,
             enrolment: tuple[EnrolIn, str] | None) -> Member | None:
    """The member the sale's enrolment makes (or finds, when the phone is a member already)."""
    if enrolment is None:
        return None
    member, _ = enrol_in(conn, store, enrolment[0], enrolment[1])
    return member


def payer_of(store: StoreRuntime, pay: PaymentIn) -> str | None:
    """The payer's hash with the chain key (None without a payer id); a payer id needs its provider."""
    if pay.payer_id is not None and pay.provider is None:
        raise InvalidInput.on("payment.provider", "a payer_id needs its provider")
    return payer_hash(store.chain_key, pay.provider, pay.scope, pay.payer_id) if pay.payer_id and pay.provider else None


def resolve_customer(conn: sqlite3.Connection, data: SaleIn, payer: str | None, lock: PriceLock | None = None,
                     now: datetime | None = None, joined: Member | None = None) -> SaleCustomer:
    """The member the lane named, or who joined through the sale's enrolment; else the one the
    checkout's live lock was quoted for; else the one who joined through this checkout's QR; else the
    one the payer is linked to (attached for points, never re-priced); else nobody."""
    if data.member_id is not None:
        member = member_repo.by_id(conn, data.member_id)
        if member is None or member.erased_at is not None:
            raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
        return SaleCustomer(member, False, payer)
    if joined is not None:
        return SaleCustomer(joined, False, payer)
    if lock is not None and lock.member_id is not None and now is not None and now < lock.locked_until:
        member = member_repo.by_id(conn, lock.member_id)
        if member is not None and member.erased_at is None:
            return SaleCustomer(member, lock.recognised, payer)
    if data.checkout_id is not None and (joined_qr := checkout_join(conn, data.checkout_id)) is not None:
        member = member_repo.by_id(conn, joined_qr[0])
        return SaleCustomer(member if member is not None and member.erased_at is None else None, False, payer)
    if payer is not None:
        member = member_repo.by_payer(conn, payer)
        return SaleCustomer(member, member is not None, payer, attached_only=member is not None)
    return SaleCustomer(None, False, None)


def price_sale(conn: sqlite3.Connection, ctx: PricingContext, cart: list[CartLine], customer: SaleCustomer,
               data: SaleIn, locked: Priced | None = None) -> Priced:
    """The locked price when the sale takes its checkout's lock; else the cart priced inside the
    writer's transaction (caps and flash surplus as the lanes left them; a code that cannot be used is
    left out, not refused). Then the member's points redemption taken off it."""
    member = customer.member
    if locked is not None:
        result = locked
    else:
        result = price_cart(ctx, conn, cart, None if customer.attached_only else member, data.coupon_codes,
                            [] if customer.recognised else None, holder=data.checkout_id, lenient=True)
    if data.redeem_points and member is not None:
        redeemed = points.redeem(conn, ctx.ref.points_policy, member, data, result.cart, ctx.now)
        result = msgspec.structs.replace(result, cart=redeemed)
    return result


def charge_of(data: SaleIn, cart: PricedCart, state: str, at: str) -> Charge:
    """What the till charged (the edge's price when it does not say) and, when it is not the edge's
    price or the sale was rung up offline, the exception that says why."""
    charged = data.payment.amount_fen if data.payment.amount_fen is not None else cart.total_fen
    explained = explain_charge(cart.total_fen, charged, state, data.offline, at if data.offline else None)
    if explained is None:
        return Charge(cart.total_fen, charged, None)
    kind, reason = explained
    return Charge(cart.total_fen, charged, SaleException(
        exception_id=uuid7(), kind=kind, edge_total_fen=cart.total_fen, charged_fen=charged,
        difference_fen=charged - cart.total_fen, reason=reason))


@dataclass(frozen=True, slots=True)
class Taken:
    units: list[int]  # per line: units taken off the shelf (given back on a void)
    below_zero: list[tuple[int, str, int, int]]  # (line, sku, qty, on hand after) for counts it took below zero


def take_stock(conn: sqlite3.Connection, ctx: PricingContext, cart: PricedCart) -> Taken:
    """Take counted SKUs off the shelf, one UPDATE a line, even below zero: the goods left the shelf,
    so a count that goes negative was wrong (an exception, never a refusal). An uncounted SKU, or one
    without a stock row, is not taken."""
    units, below = [], []
    for i, line in enumerate(cart.lines):
        n = 0
        if ctx.ref.catalog[line.sku].track_stock:
            left = stock_repo.take_stock(conn, line.sku, line.qty, True, ctx.now)
            if left is not None:
                n = line.qty
                if left < 0:
                    below.append((i, line.sku, line.qty, left))
        units.append(n)
    return Taken(units, below)


def settle_loyalty(conn: sqlite3.Connection, ctx: PricingContext, customer: SaleCustomer, priced: Priced,
                   sale_id: str, fen_per_point: int, paid_fen: int | None = None) -> Loyalty:
    """Points for what the member paid (`paid_fen`, the charged amount; the priced total when not
    given), held or at once, a tier upgrade when the spend qualifies, and the member's spend and tier
    updated; nothing for a non-member."""
    member = customer.member
    if member is None:
        return Loyalty(None)
    ref, now = ctx.ref, ctx.now
    total = priced.cart.total_fen if paid_fen is None else paid_fen
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
                loyalty: Loyalty, linked: bool, charge: Charge | None = None) -> SaleOut:
    """The answer the lane gets (and every replay of this sale_id gets again)."""
    cart, member, now = priced.cart, loyalty.member, ctx.now
    cfg = store.config
    charge = charge or Charge(cart.total_fen, cart.total_fen, None)
    exc = charge.exception
    return SaleOut(
        sale_id=data.sale_id, status="completed", checkout_id=data.checkout_id, lane_id=data.lane_id,
        cashier_id=data.cashier_id, member=summary(member, ctx.ref.tiers) if member else None,
        lines=lines_out(cart, ctx.ref), subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen,
        total_fen=cart.total_fen, applied=applied_out(cart), points_earned=loyalty.earned,
        tier_upgraded_to=loyalty.upgraded_to,
        payment=PaymentOut(method=data.payment.method, provider=data.payment.provider, amount_fen=charge.charged_fen,
                           payer_linked=linked, recognised_member=customer.recognised),
        receipt=ReceiptOut(store_id=cfg.store_id, store_name=cfg.name, business_day=ctx.day,
                           printed_member=mask_phone(member.phone_e164 or "") if member else None,
                           join=None if member else receipt_offer(store, data.sale_id, now),
                           member_page=member_links.page_link(store, member.member_id, now, RECEIPT_LINK_LIFETIME)
                           if member else None),
        created_at=iso(now), points_redeemed=data.redeem_points if member is not None else 0,
        points_pending_until=iso(loyalty.held_until) if loyalty.held_until is not None else None,
        offline=data.offline, rung_up_at=iso(parse_iso(data.rung_up_at)) if data.offline and data.rung_up_at else None,
        exception=SaleExceptionOut(exception_id=exc.exception_id, kind=exc.kind, edge_total_fen=exc.edge_total_fen,
                                   charged_fen=exc.charged_fen, difference_fen=exc.difference_fen,
                                   reason=exc.reason) if exc is not None else None)


def write_sale(conn: sqlite3.Connection, store: StoreRuntime, ctx: PricingContext, data: SaleIn, digest: str,
               customer: SaleCustomer, priced: Priced, taken: Taken, loyalty: Loyalty, answer: SaleOut,
               charge: Charge | None = None, key_id: str | None = None) -> bytes:
    """The sale row with its answer's bytes (what a replay returns), its lines, the caps and coupons it
    used, a referral reward on the member's first sale, its exceptions, and sale.completed; returns the
    answer's bytes."""
    cart, member, now, day = priced.cart, loyalty.member, ctx.now, ctx.day
    charge = charge or Charge(cart.total_fen, cart.total_fen, None)
    member_id = member.member_id if member else None
    join = JoinFacts(member.join_source, member.join_checkout_id, member.join_receipt_sale_id) if member else None
    checkout_id = data.checkout_id or (data.sale_id if data.enrolment is not None else None)
    nonmember_at_start, joined_source = classify_sale(data.sale_id, checkout_id, member_id, join)
    pay = data.payment
    body = _encode(answer)
    repo.insert_sale(conn, repo.SaleRow(
        sale_id=data.sale_id, request_hash=digest, status="completed", checkout_id=checkout_id,
        lane_id=data.lane_id, cashier_id=data.cashier_id, member_id=member_id,
        subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen, total_fen=cart.total_fen,
        points_earned=loyalty.earned, payer_hash=customer.payer, payment_method=pay.method,
        payment_provider=pay.provider, created_at=iso(now), business_day=day, nonmember_at_start=nonmember_at_start,
        joined_source=joined_source, response=body, charged_fen=charge.charged_fen, offline=data.offline,
        rung_up_at=answer.rung_up_at, key_id=key_id),
        [(data.sale_id, n, ln.sku, ln.qty, ln.unit_price_fen, ln.discount_fen, ln.total_fen, taken.units[n])
         for n, ln in enumerate(cart.lines)])
    campaigns.record_uses(conn, data.sale_id, priced, member_id, day, now, honour=True)
    if member is not None:
        referrals.reward_first_sale(conn, store, member, data.sale_id, now)
    record_exceptions(conn, data, day, charge, taken, store.clock())
    exc = charge.exception
    append_event(conn, SaleCompleted(
        sale_id=data.sale_id, store_id=ctx.store_id, business_day=day, created_at=iso(now),
        lane_id=data.lane_id, cashier_id=data.cashier_id, checkout_id=checkout_id,
        member_id=member_id, recognised_by_payer=customer.recognised,
        lines=[SaleLine(sku=ln.sku, qty=ln.qty, unit_price_fen=ln.unit_price_fen, discount_fen=ln.discount_fen,
                        total_fen=ln.total_fen) for ln in cart.lines],
        subtotal_fen=cart.subtotal_fen, discount_fen=cart.discount_fen, total_fen=cart.total_fen,
        applied=[AppliedRule(rule_id=d.rule_id, amount_fen=d.amount_fen) for d in cart.applied],
        points_earned=loyalty.earned, payment_method=pay.method, payment_provider=pay.provider,
        payer_hash=None, nonmember_at_start=nonmember_at_start, joined_source=joined_source,
        personal=personal_data.for_payer(conn, customer.payer, now, {"payer_hash": customer.payer})
        if customer.payer else UNSET,
        charged_fen=charge.charged_fen, exception=exc if exc is not None else msgspec.UNSET,
        offline=True if data.offline else msgspec.UNSET,
        rung_up_at=answer.rung_up_at if answer.rung_up_at is not None else msgspec.UNSET), now)
    return body


def record_exceptions(conn: sqlite3.Connection, data: SaleIn, day: str, charge: Charge, taken: Taken,
                      now: datetime) -> None:
    """The sale's entries in the manager's exceptions list: its price or offline exception, and each
    count it took below zero."""
    exc = charge.exception
    if exc is not None:
        exception_repo.add(conn, exc.kind, exc.reason, now, exception_id=exc.exception_id, sale_id=data.sale_id,
                           lane_id=data.lane_id, business_day=day, edge_total_fen=exc.edge_total_fen,
                           charged_fen=exc.charged_fen, difference_fen=exc.difference_fen)
    for line, sku, qty, left in taken.below_zero:
        exception_repo.add(conn, "stock_below_zero", f"lines[{line}]: {qty} {sku} sold, the count is now {left}: "
                           "the count was wrong", now, sale_id=data.sale_id, lane_id=data.lane_id,
                           business_day=day, sku=sku, on_hand_after=left)


def check_void_allowed(store: StoreRuntime, sale_id: str, role: str | None, key_id: str | None) -> None:
    """A lane voids its own sales (recorded with its key) within the store's void window; any other
    void needs the manager key. 404 for an unknown sale."""
    sale = repo.get_sale(store.reader.conn, sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", [FieldError("sale_id", "no such sale")])
    if role != "lane" or sale.status == "voided":
        return
    window = store.config.void_window_minutes
    if sale.key_id is not None and sale.key_id != key_id:
        raise Forbidden("a lane voids only the sales it recorded; ask the manager",
                        [FieldError("sale_id", "recorded by another lane: needs the manager key")])
    if store.clock() - parse_iso(sale.created_at) > timedelta(minutes=window):
        raise Forbidden(f"past the lane's void window of {window} minutes; ask the manager",
                        [FieldError("sale_id", f"older than {window} minutes: needs the manager key")])


async def void_sale(store: StoreRuntime, sale_id: str, reason: str, role: str | None = None,
                    key_id: str | None = None) -> bytes:
    """Void a completed sale: stock and points go back; voiding twice answers the voided sale again.
    `role`/`key_id`: the caller's, for the lane's void window (None: a trusted caller, the CLI)."""
    if role is not None:
        check_void_allowed(store, sale_id, role, key_id)
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
            member_repo.add_spend(conn, sale.member_id, -sale.charged_fen, now)
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
                                      total_fen=sale.total_fen, points_reversed=sale.points_earned,
                                      charged_fen=sale.charged_fen), now)
        return body

    return await store.writer.run(command)


def sale_as_recorded(store: StoreRuntime, sale_id: str) -> bytes:
    """The sale as the lane last saw it (voided, once voided); 404 when there is none."""
    body = repo.answer_of(store.reader.conn, sale_id)
    if body is None:
        raise NotFound(f"no sale {sale_id}", [FieldError("sale_id", "no such sale")])
    return body
