"""Each step of recording a sale, alone, on a real store file inside the writer's transaction."""

from datetime import UTC, datetime

import msgspec
import pytest

from edge.domain.errors import FieldError, NotFound
from edge.domain.identity import payer_hash
from edge.domain.models import PricedCart, PricedLine
from edge.schemas import SaleIn
from edge.services import sales
from edge.services.erasure import erase_member
from edge.services.personal_data import open_sealed
from edge.services.pricing import cart_of, price_cart, pricing_context
from edge.store import members as member_repo

from builders import enrol_body, sale_body

LINK = {"policy_version": "2026-01", "granted": True, "payment_link": True}


def sale_in(*pairs, **over) -> SaleIn:
    return msgspec.convert(sale_body(*pairs, **over), SaleIn)


def enrol(api, phone: str = "13800138000", **over) -> str:
    return api.post("/api/v1/members", json=enrol_body(phone, **over)).json()["member_id"]


def events(store, type_: str) -> list[dict]:
    return [msgspec.json.decode(p) for (p,) in
            store.reader.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (type_,))]


def priced(store, data: SaleIn, customer: sales.SaleCustomer):  # noqa: ANN201
    def step(conn):  # noqa: ANN001, ANN202
        ctx = pricing_context(store)
        return ctx, sales.price_sale(conn, ctx, cart_of(ctx.ref, data.lines), customer, data)

    return store.writer.call(step)


# --- resolve the customer ---------------------------------------------------------------------------

def test_the_customer_is_the_member_the_lane_named(api, store):
    mid = enrol(api)
    who = store.writer.call(lambda c: sales.resolve_customer(c, sale_in(member_id=mid), None))
    assert who.member.member_id == mid and who.recognised is False


def test_an_erased_member_named_by_the_lane_is_refused_naming_member_id(api, store):
    mid = enrol(api)
    store.writer.call(lambda c: erase_member(c, "demo-001", mid, store.clock(), "member"))
    with pytest.raises(NotFound) as refused:
        store.writer.call(lambda c: sales.resolve_customer(c, sale_in(member_id=mid), None))
    assert refused.value.errors == [FieldError("member_id", "no member with this id")]


def test_without_a_member_named_the_payer_linked_to_a_member_is_recognised(api, store):
    mid = enrol(api, consent=LINK)
    payer = payer_hash(store.chain_key, "wechat", "", "o6_1")
    store.writer.call(lambda c: member_repo.link_payer(c, payer, mid, "wechat", store.clock()))
    who = store.writer.call(lambda c: sales.resolve_customer(c, sale_in(), payer))
    assert who.member.member_id == mid and who.recognised is True and who.payer == payer
    nobody = store.writer.call(lambda c: sales.resolve_customer(c, sale_in(), None))
    assert nobody == sales.SaleCustomer(None, False, None)


def test_a_member_who_joined_through_the_checkouts_qr_is_the_customer(api, store):
    mid = enrol(api, checkout_id="co-1")
    store.writer.call(lambda c: c.execute("INSERT INTO checkout_joins (checkout_id, member_id, created, joined_at) "
                                          "VALUES ('co-1', ?, 1, '2026-11-24T02:00:00.000Z')", (mid,)))
    who = store.writer.call(lambda c: sales.resolve_customer(c, sale_in(checkout_id="co-1"), None))
    assert who.member.member_id == mid and who.recognised is False


# --- price --------------------------------------------------------------------------------------------

def test_a_member_recognised_by_the_payer_alone_does_not_spend_their_own_coupons(api, store):
    mid = enrol(api)
    api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": mid}, role="manager")
    member = member_repo.by_id(store.reader.conn, mid)
    data = sale_in(("LATTE", 1))
    _, named = priced(store, data, sales.SaleCustomer(member, False, None))
    _, recognised = priced(store, data, sales.SaleCustomer(member, True, "h"))
    assert [d.rule_id for d in named.cart.applied if d.rule_id.startswith("coupon:")]
    assert not [d.rule_id for d in recognised.cart.applied if d.rule_id.startswith("coupon:")]


def test_quote_and_sale_price_the_same_cart_the_same_through_one_context(api, store):
    mid = enrol(api)
    member = member_repo.by_id(store.reader.conn, mid)
    data = sale_in(("LATTE", 2), ("CROISSANT", 1), member_id=mid)
    ctx, in_sale = priced(store, data, sales.SaleCustomer(member, False, None))
    in_quote = price_cart(ctx, store.reader.conn, cart_of(ctx.ref, data.lines), member, [])
    assert in_sale == in_quote


def test_the_pricing_context_puts_a_1_30_sale_on_the_day_before(store):
    ctx = pricing_context(store, now=datetime(2026, 11, 24, 17, 30, tzinfo=UTC))  # 01:30 Wednesday in Shanghai
    assert ctx.day == "2026-11-24" and ctx.store_id == "demo-001" and ctx.local.hour == 1


def test_the_charged_amount_is_recorded_and_a_difference_from_the_edges_price_is_a_price_exception():
    cart = PricedCart(lines=[], subtotal_fen=2800, discount_fen=0, total_fen=2800, applied=[])
    as_priced = sales.charge_of(sale_in(payment={"method": "cash"}), cart, "none", "t")
    assert (as_priced.charged_fen, as_priced.exception) == (2800, None)
    assert sales.charge_of(sale_in(payment={"method": "cash", "amount_fen": 2800}), cart, "locked", "t").exception is None
    short = sales.charge_of(sale_in(payment={"method": "cash", "amount_fen": 2520}), cart, "expired", "t")
    assert short.charged_fen == 2520 and short.edge_total_fen == 2800
    assert (short.exception.kind, short.exception.difference_fen) == ("price", -280)
    assert "expired" in short.exception.reason


def test_an_offline_sale_is_always_an_exception_of_kind_offline_difference_or_not():
    cart = PricedCart(lines=[], subtotal_fen=2800, discount_fen=0, total_fen=2800, applied=[])
    body = sale_in(offline=True, rung_up_at="2026-11-24T01:00:00Z", payment={"method": "cash", "amount_fen": 2800})
    same = sales.charge_of(body, cart, "none", "2026-11-24T01:00:00.000Z")
    assert same.exception.kind == "offline" and same.exception.difference_fen == 0
    assert "2026-11-24T01:00:00.000Z" in same.exception.reason


# --- take stock ---------------------------------------------------------------------------------------

def line(sku: str, qty: int) -> PricedLine:
    return PricedLine(sku=sku, qty=qty, unit_price_fen=100, subtotal_fen=100 * qty, discount_fen=0,
                      total_fen=100 * qty, discounts=[])


def cart(*lines: PricedLine) -> PricedCart:
    total = sum(x.total_fen for x in lines)
    return PricedCart(lines=list(lines), subtotal_fen=total, discount_fen=0, total_fen=total, applied=[])


def on_hand(store, sku: str) -> int:
    return store.reader.conn.execute("SELECT on_hand FROM inventory WHERE sku = ?", (sku,)).fetchone()[0]


def test_counted_skus_are_taken_off_the_shelf_and_made_to_order_ones_are_not(store):
    taken = store.writer.call(lambda c: sales.take_stock(c, pricing_context(store),
                                                         cart(line("LATTE", 2), line("CROISSANT", 3))))
    assert taken == sales.Taken([0, 3], []) and on_hand(store, "CROISSANT") == 37


def test_a_counted_sku_short_of_the_line_is_taken_below_zero_and_said_so_never_refused(store):
    short = cart(line("LATTE", 1), line("CHEESECAKE", 13))  # 12 on hand
    taken = store.writer.call(lambda c: sales.take_stock(c, pricing_context(store), short))
    assert taken == sales.Taken([0, 13], [(1, "CHEESECAKE", 13, -1)])
    assert on_hand(store, "CHEESECAKE") == -1


# --- settle loyalty and link the payer ----------------------------------------------------------------

def test_a_non_member_sale_settles_no_loyalty(store):
    data = sale_in(("LATTE", 1))
    ctx, result = priced(store, data, sales.SaleCustomer(None, False, None))
    loyalty = store.writer.call(lambda c: sales.settle_loyalty(c, ctx, sales.SaleCustomer(None, False, None),
                                                               result, data.sale_id, 100))
    assert loyalty == sales.Loyalty(None) and events(store, "points.held") == []


def test_a_member_earns_points_held_for_the_policy_and_moves_up_a_tier_with_the_spend(api, store):
    mid = enrol(api)
    customer = sales.SaleCustomer(member_repo.by_id(store.reader.conn, mid), False, None)
    data = sale_in(("BEANS-250G", 6), member_id=mid)  # 58,800 fen: past silver's 50,000
    ctx, result = priced(store, data, customer)
    loyalty = store.writer.call(lambda c: sales.settle_loyalty(c, ctx, customer, result, data.sale_id, 100))
    assert loyalty.earned == 588 and loyalty.upgraded_to == "silver" and loyalty.held_until is not None
    assert loyalty.member.tier_id == "silver" and loyalty.member.lifetime_spend_fen == 58_800
    assert events(store, "member.updated") == [{"member_id": mid, "tier_id": "silver", "reason": "tier_upgrade",
                                                "sale_id": data.sale_id}]
    assert events(store, "points.held")[0]["points"] == 588


def test_the_payer_is_linked_only_with_the_members_consent_and_not_when_it_recognised_them(api, store):
    consenting = member_repo.by_id(store.reader.conn, enrol(api, consent=LINK))
    other = member_repo.by_id(store.reader.conn, enrol(api, "13900139000"))
    now = store.clock()
    assert store.writer.call(lambda c: sales.link_payer(c, sales.SaleCustomer(other, False, "h1"), "wechat", now)) \
        is False
    assert store.writer.call(lambda c: sales.link_payer(c, sales.SaleCustomer(consenting, True, "h2"), "wechat",
                                                        now)) is False
    assert store.writer.call(lambda c: sales.link_payer(c, sales.SaleCustomer(consenting, False, "h3"), "wechat",
                                                        now)) is True
    [linked] = events(store, "payment_identity.linked")
    assert (linked["member_id"], linked["payer_hash"], linked["provider"]) == (consenting.member_id, None, "wechat")
    # the payer hash travels sealed with the payer's own data key, which erasure destroys
    key = bytes(store.reader.conn.execute("SELECT key FROM data_keys WHERE payer_hash = 'h3'").fetchone()[0])
    assert open_sealed(linked["personal"], key) == {"payer_hash": "h3"}


def test_a_sale_hashes_as_it_did_before_the_offline_fields_existed_so_old_retries_are_not_409():
    import hashlib

    class OldSaleIn(msgspec.Struct):  # the wire type before offline, rung_up_at and enrolment
        sale_id: str
        lane_id: str
        cashier_id: str
        lines: list[dict]
        payment: dict
        checkout_id: str | None = None
        member_id: str | None = None
        coupon_codes: list[str] = []
        redeem_points: int = 0
        member_confirmation: str | None = None

    body = sale_body(("LATTE", 2), sale_id="s-old")
    old = msgspec.convert(body, OldSaleIn)
    old.lines = [{"sku": "LATTE", "qty": 2, "unit_price_fen": None}]
    old.payment = {"method": "cash", "provider": None, "scope": "", "payer_id": None, "amount_fen": None}
    assert sales.request_hash(sale_in(("LATTE", 2), sale_id="s-old")) == hashlib.sha256(
        msgspec.json.encode(old)).hexdigest()
    offline = sale_in(("LATTE", 2), sale_id="s-old", offline=True, rung_up_at="2026-11-24T01:00:00Z")
    assert sales.request_hash(offline) != sales.request_hash(sale_in(("LATTE", 2), sale_id="s-old"))
