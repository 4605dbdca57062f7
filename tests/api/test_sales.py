"""Sales: one transaction for sale, stock, points, tier, payer link and events; voids give it back."""

import threading
from datetime import UTC, datetime

import httpx
import msgspec

from edge.services.runtime import bump_reference

from builders import enrol_body, quote_body, sale_body

FRIDAY_NOON_SHANGHAI = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def events(store, type_=None) -> list[tuple[str, dict]]:
    rows = store.reader.conn.execute("SELECT type, payload FROM outbox ORDER BY seq").fetchall()
    return [(t, msgspec.json.decode(p)) for t, p in rows if type_ is None or t == type_]


def on_hand(store, sku) -> int:
    return store.reader.conn.execute("SELECT on_hand FROM inventory WHERE sku = ?", (sku,)).fetchone()[0]


def enrol(api, phone="13800138000", **over) -> str:
    return api.post("/api/v1/members", json=enrol_body(phone, **over)).json()["member_id"]


def test_the_same_sale_id_with_another_body_is_409_and_changes_nothing(api, store):
    assert api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1), sale_id="s-409")).status_code == 201
    stock = on_hand(store, "CROISSANT")
    r = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 3), sale_id="s-409"))
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "sale_id"
    assert on_hand(store, "CROISSANT") == stock
    assert len(events(store, "sale.completed")) == 1


def test_a_retry_answers_the_first_answer_even_after_its_sku_left_the_catalog(api, store):
    # the POS journal may retry hours later, after HQ's catalog bundle retired the SKU
    body = sale_body(("EGG-TART", 2), sale_id="s-retired")
    first = api.post("/api/v1/sales", json=body)
    assert first.status_code == 201

    def retire(conn):  # noqa: ANN001, ANN202
        conn.execute("UPDATE catalog SET active = 0 WHERE sku = 'EGG-TART'")
        bump_reference(conn)

    store.writer.call(retire)
    again = api.post("/api/v1/sales", json=body)
    assert again.status_code == 201 and again.content == first.content
    fresh = api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    assert fresh.status_code == 422 and fresh.json()["errors"][0]["field"] == "lines[0].sku"


def test_a_sale_takes_stock_and_a_void_gives_it_back_with_the_held_points(api, store):
    member_id = enrol(api)
    before = on_hand(store, "CROISSANT")
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 2), ("LATTE", 1), member_id=member_id,
                                                     sale_id="s-void")).json()
    assert on_hand(store, "CROISSANT") == before - 2
    assert sale["points_earned"] == (2 * 1500 + 2800) // 100
    assert sale["points_pending_until"] is not None and sale["member"]["points_balance"] == 0  # held for returns

    voided = api.post("/api/v1/sales/s-void/void", json={"reason": "customer changed mind"})
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert on_hand(store, "CROISSANT") == before
    again = api.post("/api/v1/sales/s-void/void", json={"reason": "twice"})
    assert again.content == voided.content  # voiding twice is a replay
    assert on_hand(store, "CROISSANT") == before
    status = store.reader.conn.execute("SELECT status FROM points_pending WHERE sale_id = 's-void'").fetchone()[0]
    assert status == "reversed"
    assert len(events(store, "sale.voided")) == 1


def test_voiding_an_unknown_sale_is_404(api):
    assert api.post("/api/v1/sales/nope/void", json={"reason": "x"}).status_code == 404


def test_a_quote_past_the_count_is_409_naming_the_line_before_the_customer_pays(api, store):
    api.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 2})
    r = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), ("CHEESECAKE", 3)))
    assert r.status_code == 409 and r.json()["errors"] == [{"field": "lines[1].qty", "reason": "only 2 on hand"}]
    twice = api.post("/api/v1/checkouts/quote", json=quote_body(("CHEESECAKE", 2), ("LATTE", 1), ("CHEESECAKE", 1)))
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "lines[2].qty"  # counted per SKU
    assert api.post("/api/v1/checkouts/quote", json=quote_body(("CHEESECAKE", 2))).status_code == 200


def test_a_paid_sale_past_the_count_is_recorded_taking_stock_below_zero_as_an_exception(api, store):
    api.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 2})
    r = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), ("CHEESECAKE", 3), sale_id="s-short"))
    assert r.status_code == 201 and r.json()["exception"] is None  # the price is the edge's: no price exception
    assert on_hand(store, "CHEESECAKE") == -1 and len(events(store, "sale.completed")) == 1
    listed = api.get("/api/v1/exceptions", role="manager", params={"kind": "stock_below_zero"}).json()
    (entry,) = listed["exceptions"]
    assert (entry["sale_id"], entry["sku"], entry["on_hand_after"], entry["status"]) == ("s-short", "CHEESECAKE",
                                                                                         -1, "open")


def test_eight_lanes_selling_past_the_last_units_all_record_and_every_unit_below_zero_is_explained(live, store):
    server, keys = live
    headers = {"Authorization": f"Bearer {keys['lane']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as c:
        assert c.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 5},
                     headers={"Authorization": f"Bearer {keys['manager']}"}).status_code == 200
    results: list[int] = []
    barrier = threading.Barrier(8)

    def lane(n: int) -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as c:
            barrier.wait(timeout=10)
            for k in range(3):
                body = sale_body(("CHEESECAKE", 1), sale_id=f"race-{n}-{k}", lane_id=f"L{n}")
                results.append(c.post("/api/v1/sales", json=body).status_code)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [201] * 24
    assert on_hand(store, "CHEESECAKE") == 5 - 24
    assert len(events(store, "sale.completed")) == 24
    below = store.reader.conn.execute("SELECT on_hand_after FROM store_exceptions WHERE kind = 'stock_below_zero' "
                                      "ORDER BY on_hand_after DESC").fetchall()
    assert [r[0] for r in below] == list(range(-1, -20, -1))  # each unit past the count, once


def test_allow_negative_stock_lets_the_till_sell_past_the_count(tmp_path, clock):
    from litestar.testing import TestClient

    from edge.app import create_app
    from edge.services.runtime import StoreRuntime
    from edge.services.setup import demo_config, init_store, seed_demo

    from support import Api

    config = msgspec.structs.replace(demo_config(), allow_negative_stock=True)
    init_store(tmp_path / "neg", config, clock=clock)
    keys = seed_demo(tmp_path / "neg", clock=clock)
    s = StoreRuntime(tmp_path / "neg", clock=clock)
    try:
        with TestClient(create_app(s)) as client:
            api = Api(client, keys)
            api.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 1})
            assert api.post("/api/v1/sales", json=sale_body(("CHEESECAKE", 3))).status_code == 201
            assert on_hand(s, "CHEESECAKE") == -2
    finally:
        s.close()


def test_spend_upgrades_the_tier_and_the_next_quote_gets_the_new_discount(api, store):
    member_id = enrol(api)
    sale = api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 6), member_id=member_id)).json()  # 588.00
    assert sale["tier_upgraded_to"] == "silver" and sale["member"]["tier"]["tier_id"] == "silver"
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": member_id})).json()
    assert quote["discount_fen"] == 140 and quote["applied"][0]["rule_id"] == "tier:silver"
    assert [p["tier_id"] for _, p in events(store, "member.updated")] == ["silver"]


def test_member_day_boost_applies_on_friday_in_store_local_time(api, clock):
    member_id = enrol(api)
    api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 25), member_id=member_id))  # gold: 10% + Friday 5%
    clock.set(FRIDAY_NOON_SHANGHAI)
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2), member={"member_id": member_id})).json()
    assert [(a["rule_id"], a["amount_fen"]) for a in quote["applied"]] == [
        ("tier:gold", 560), ("member_day:member-day-friday", 280)]
    assert quote["lines"][0]["discounts"][1]["name_zh"] == "周五会员日"
    assert quote["total_fen"] == 5600 - 840


def test_quote_and_sale_agree_on_the_total(api):
    member_id = enrol(api)
    body = quote_body(("LATTE", 3), ("EGG-TART", 4), ("GIFT-CARD-100", 1), member={"member_id": member_id})
    quote = api.post("/api/v1/checkouts/quote", json=body).json()
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 3), ("EGG-TART", 4), ("GIFT-CARD-100", 1),
                                                     member_id=member_id,
                                                     payment={"method": "card", "amount_fen": quote["total_fen"]}))
    assert sale.status_code == 201 and sale.json()["total_fen"] == quote["total_fen"]


def test_a_consenting_members_payer_is_linked_and_recognises_them_next_time(api, store):
    member_id = enrol(api, consent={"policy_version": "2026-01", "granted": True, "payment_link": True})
    pay = {"method": "wechat_pay", "provider": "wechat", "scope": "wx-app-1", "payer_id": "o6_bmjrPTlm6"}
    first = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=member_id, payment=pay)).json()
    assert first["payment"]["payer_linked"] is True
    recognised = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), payment=pay)).json()
    assert recognised["member"]["member_id"] == member_id and recognised["payment"]["recognised_member"] is True
    assert recognised["points_earned"] == 28
    found = api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_bmjrPTlm6", "scope": "wx-app-1"})
    assert found.json()["member_id"] == member_id
    (linked,) = events(store, "payment_identity.linked")
    assert "o6_bmjrPTlm6" not in msgspec.json.encode(linked[1]).decode()
    raw = store.reader.conn.execute("SELECT count(*) FROM sales WHERE payer_hash LIKE '%o6_bmjr%'").fetchone()[0]
    assert raw == 0


def test_without_payment_link_consent_the_payer_stays_on_the_sale_only(api, store):
    member_id = enrol(api)
    pay = {"method": "alipay", "provider": "alipay", "payer_id": "2088102146225135"}
    first = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=member_id, payment=pay)).json()
    assert first["payment"]["payer_linked"] is False
    anonymous = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), payment=pay)).json()
    assert anonymous["member"] is None
    hashes = store.reader.conn.execute("SELECT payer_hash FROM sales").fetchall()
    assert len({h for (h,) in hashes}) == 1 and hashes[0][0] is not None


def test_points_balance_always_equals_the_ledger_once_held_points_are_released(api, store, clock):
    member_id = enrol(api)
    for n in range(3):
        api.post("/api/v1/sales", json=sale_body(("LATTE", n + 1), member_id=member_id, sale_id=f"p-{n}"))
    api.post("/api/v1/sales/p-1/void", json={"reason": "refund"})
    clock.advance(days=8)
    assert api.post("/api/v1/campaigns/maintenance", role="manager").status_code == 200
    conn = store.reader.conn
    balance = conn.execute("SELECT points_balance FROM members WHERE member_id = ?", (member_id,)).fetchone()[0]
    ledger = conn.execute("SELECT sum(points) FROM points_ledger WHERE member_id = ?", (member_id,)).fetchone()[0]
    assert balance == ledger == 28 + 84
