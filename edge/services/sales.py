"""Record and void sales: one transaction writes the sale, stock, points, tier, payer link and events."""

import hashlib
import sqlite3

import msgspec

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
from ..domain.join_rate import JoinFacts, business_day, classify_sale
from ..domain.loyalty import points_earned, qualified_tier
from ..domain.models import Member
from ..domain.pricing import resolve_lines
from ..schemas import PaymentOut, ReceiptOut, SaleIn, SaleOut
from ..store import catalog as stock_repo
from ..store import members as member_repo
from ..store import sales as repo
from ..store.join import checkout_join
from ..store.outbox import append_event, batched
from . import campaigns, points, referrals
from .checkout import applied_out, lines_out
from .join import receipt_offer
from .members import summary
from .runtime import Store

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


async def record_sale(store: Store, data: SaleIn) -> bytes:
    """Record the sale once per sale_id and return the answer's bytes (a replay returns the first)."""
    digest = request_hash(data)  # a retry is recognised inside the writer, where it cannot race the first
    ref = store.reference()
    try:
        cart = resolve_lines([(x.sku, x.qty, x.unit_price_fen) for x in data.lines], ref.catalog)
    except InvalidInput:
        # a retry of a sale recorded before its SKU left the catalog still gets its first answer
        if (seen := repo.recorded(store.reader.conn, data.sale_id)) is not None:
            return _replay(data.sale_id, seen[0], digest, seen[1])
        raise
    pay = data.payment
    if pay.payer_id is not None and pay.provider is None:
        raise InvalidInput.on("payment.provider", "a payer_id needs its provider")
    payer = payer_hash(store.chain_key, pay.provider, pay.scope, pay.payer_id) if pay.payer_id and pay.provider else None
    cfg = store.config
    points.check_redemption_request(data)

    def command(conn: sqlite3.Connection) -> bytes:
        with batched(conn):  # the sale's events in one statement
            return write(conn)

    def write(conn: sqlite3.Connection) -> bytes:
        if (seen := repo.recorded(conn, data.sale_id)) is not None:  # a retry: the first answer, or 409
            return _replay(data.sale_id, seen[0], digest, seen[1])
        now = store.clock()
        member: Member | None = None
        recognised = False
        if data.member_id is not None:
            member = member_repo.by_id(conn, data.member_id)
            if member is None or member.erased_at is not None:
                raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
        elif data.checkout_id is not None and (joined := checkout_join(conn, data.checkout_id)) is not None:
            member = member_repo.by_id(conn, joined[0])  # the customer joined through this checkout's QR
            member = member if member is not None and member.erased_at is None else None
        elif payer is not None:
            member = member_repo.by_payer(conn, payer)
            recognised = member is not None
        day = business_day(now, store.tz, cfg.day_start).isoformat()
        # caps and flash surplus are read here, in the writer's transaction: lanes cannot overspend them
        result = campaigns.price(store, conn, ref, cart, member, data.coupon_codes, now,
                                 coupons=[] if recognised else None)
        priced = result.cart
        policy = ref.points_policy
        if data.redeem_points and member is not None:
            priced = points.redeem(conn, policy, member, data, priced, now)
        if pay.amount_fen is not None and pay.amount_fen != priced.total_fen:
            raise InvalidInput.on("payment.amount_fen", f"does not match the sale total of {priced.total_fen} fen")

        taken = []
        for i, line in enumerate(priced.lines):
            units = 0
            if ref.catalog[line.sku].track_stock:
                left = stock_repo.take_stock(conn, line.sku, line.qty, cfg.allow_negative_stock, now)
                if left is not None:
                    units = line.qty
                else:
                    have = stock_repo.on_hand(conn, line.sku)
                    if have is not None:  # counted and short; an uncounted SKU is not refused
                        raise OutOfStock(f"not enough {line.sku} on hand",
                                         [FieldError(f"lines[{i}].qty", f"only {have} on hand")], sku=line.sku)
            taken.append(units)

        join = JoinFacts(member.join_source, member.join_checkout_id, member.join_receipt_sale_id) if member else None
        nonmember_at_start, joined_source = classify_sale(data.sale_id, data.checkout_id,
                                                          member.member_id if member else None, join)
        earned, upgraded, linked, held_until = 0, None, False, None
        if member is not None:
            tier = ref.tiers[member.tier_id]
            earned = points_earned(priced.total_fen, tier, cfg.fen_per_point) * result.points_multiplier_pct // 100
            # `member` was read in this transaction, so its spend plus this sale is the new spend
            better = qualified_tier(tier, member.lifetime_spend_fen + priced.total_fen, ref.tiers)
            if better.tier_id != tier.tier_id:
                upgraded = better.tier_id
                append_event(conn, MemberUpdated(member_id=member.member_id, tier_id=better.tier_id,
                                                 reason="tier_upgrade", sale_id=data.sale_id), now)
            held_until = points.earn(conn, policy, member.member_id, earned, data.sale_id, now)
            if payer is not None and member.payment_link_consent and not recognised:
                linked = member_repo.link_payer(conn, payer, member.member_id, pay.provider or "", now)
                if linked:
                    append_event(conn, PaymentIdentityLinked(member_id=member.member_id, payer_hash=payer,
                                                             provider=pay.provider), now)
            member = member_repo.settle_sale(conn, member.member_id, priced.total_fen, better.tier_id, now)

        out = SaleOut(
            sale_id=data.sale_id, status="completed", checkout_id=data.checkout_id, lane_id=data.lane_id,
            cashier_id=data.cashier_id, member=summary(member, ref.tiers) if member else None,
            lines=lines_out(priced, ref), subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen,
            total_fen=priced.total_fen, applied=applied_out(priced), points_earned=earned, tier_upgraded_to=upgraded,
            payment=PaymentOut(method=pay.method, provider=pay.provider, amount_fen=priced.total_fen,
                               payer_linked=linked, recognised_member=recognised),
            receipt=ReceiptOut(store_id=cfg.store_id, store_name=cfg.name, business_day=day,
                               printed_member=mask_phone(member.phone_e164 or "") if member else None,
                               join=None if member else receipt_offer(store, data.sale_id, now)),
            created_at=iso(now), points_redeemed=data.redeem_points if member is not None else 0,
            points_pending_until=iso(held_until) if held_until is not None else None)
        body = _encode(out)
        repo.insert_sale(conn, repo.SaleRow(
            sale_id=data.sale_id, request_hash=digest, status="completed", checkout_id=data.checkout_id,
            lane_id=data.lane_id, cashier_id=data.cashier_id, member_id=member.member_id if member else None,
            subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen, total_fen=priced.total_fen,
            points_earned=earned, payer_hash=payer, payment_method=pay.method, payment_provider=pay.provider,
            created_at=iso(now), business_day=day, nonmember_at_start=nonmember_at_start,
            joined_source=joined_source, response=body),
            [(data.sale_id, n, ln.sku, ln.qty, ln.unit_price_fen, ln.discount_fen, ln.total_fen, taken[n])
             for n, ln in enumerate(priced.lines)])
        campaigns.record_uses(conn, store, data.sale_id, result, member, day, now)
        if member is not None:
            referrals.reward_first_sale(conn, store, member, data.sale_id, now)
        append_event(conn, SaleCompleted(
            sale_id=data.sale_id, store_id=cfg.store_id, business_day=day, created_at=iso(now),
            lane_id=data.lane_id, cashier_id=data.cashier_id, checkout_id=data.checkout_id,
            member_id=member.member_id if member else None, recognised_by_payer=recognised,
            lines=[SaleLine(sku=ln.sku, qty=ln.qty, unit_price_fen=ln.unit_price_fen, discount_fen=ln.discount_fen,
                            total_fen=ln.total_fen) for ln in priced.lines],
            subtotal_fen=priced.subtotal_fen, discount_fen=priced.discount_fen, total_fen=priced.total_fen,
            applied=[AppliedRule(rule_id=d.rule_id, amount_fen=d.amount_fen) for d in priced.applied],
            points_earned=earned, payment_method=pay.method, payment_provider=pay.provider,
            payer_hash=payer, nonmember_at_start=nonmember_at_start, joined_source=joined_source), now)
        return body

    return await store.writer.run(command)


async def void_sale(store: Store, sale_id: str, reason: str) -> bytes:
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
        append_event(conn, SaleVoided(sale_id=sale_id, store_id=store.config.store_id, business_day=sale.business_day,
                                      voided_at=iso(now), reason=reason, member_id=sale.member_id,
                                      total_fen=sale.total_fen, points_reversed=sale.points_earned), now)
        return body

    return await store.writer.run(command)
