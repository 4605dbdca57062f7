"""What the till charged is what is recorded, once: differences are exceptions the manager lists and
resolves, they travel to HQ in sale.completed, and recognising a payer never re-prices a paid sale."""

import msgspec

from builders import enrol_body, quote_body, sale_body

LINK = {"policy_version": "2026-01", "granted": True, "payment_link": True}
WECHAT = {"method": "wechat_pay", "provider": "wechat", "scope": "wx-app-1", "payer_id": "o6_bmjrPTlm6"}


def events(store, type_: str) -> list[dict]:
    return [msgspec.json.decode(p) for (p,) in
            store.reader.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (type_,))]


def silver_member_with_linked_payer(api) -> str:
    member_id = api.post("/api/v1/members", json=enrol_body(consent=LINK)).json()["member_id"]
    first = api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 6), member_id=member_id, payment=WECHAT)).json()
    assert first["payment"]["payer_linked"] and first["member"]["tier"]["tier_id"] == "silver"
    return member_id


def test_a_recognised_payer_attaches_the_member_without_re_pricing_what_the_till_charged(api, store):
    member_id = silver_member_with_linked_payer(api)
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1))).json()
    assert quote["total_fen"] == 2800 and quote["member"] is None  # the till did not know the customer
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id=quote["checkout_id"],
                                                    payment={**WECHAT, "amount_fen": 2800}))
    assert sale.status_code == 201, sale.text
    body = sale.json()
    assert body["total_fen"] == 2800 and body["payment"]["amount_fen"] == 2800 and body["exception"] is None
    assert body["member"]["member_id"] == member_id and body["payment"]["recognised_member"] is True
    assert body["points_earned"] == 2800 * 120 // 100 // 100  # silver earns 1.2x on what was charged
    spend = store.reader.conn.execute("SELECT lifetime_spend_fen FROM members WHERE member_id = ?",
                                      (member_id,)).fetchone()[0]
    assert spend == 58_800 + 2800
    (completed,) = [e for e in events(store, "sale.completed") if e["sale_id"] == body["sale_id"]]
    assert completed["charged_fen"] == 2800 and completed["nonmember_at_start"] is False
    assert "exception" not in completed


def test_without_an_amount_a_recognised_payer_is_recorded_at_the_price_the_till_was_quoted(api):
    silver_member_with_linked_payer(api)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), payment=WECHAT)).json()
    assert sale["total_fen"] == 2800 and sale["payment"]["amount_fen"] == 2800 and sale["member"] is not None


def test_a_charged_amount_other_than_the_edges_price_is_recorded_with_a_price_exception(api, store):
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), sale_id="s-diff",
                                                    payment={"method": "cash", "amount_fen": 5000}))
    assert sale.status_code == 201
    body = sale.json()
    exc = body["exception"]
    assert body["total_fen"] == 5600 and body["payment"]["amount_fen"] == 5000
    assert (exc["kind"], exc["edge_total_fen"], exc["charged_fen"], exc["difference_fen"]) == ("price", 5600, 5000,
                                                                                              -600)
    assert "no live price lock" in exc["reason"]
    (completed,) = events(store, "sale.completed")
    assert completed["charged_fen"] == 5000 and completed["exception"] == exc
    row = store.reader.conn.execute("SELECT total_fen, charged_fen FROM sales WHERE sale_id = 's-diff'").fetchone()
    assert tuple(row) == (5600, 5000)


def test_a_lock_that_expired_during_a_long_payment_records_the_charge_and_says_why(api, clock):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), checkout_id="co-slow")).json()
    clock.advance(minutes=11)
    api.put("/api/v1/inventory/LATTE", json={"on_hand": 5})  # unrelated change: the lock is simply gone
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-slow", payment={
        "method": "cash", "amount_fen": quote["total_fen"] - 100})).json()
    assert sale["exception"]["kind"] == "price" and "expired" in sale["exception"]["reason"]


def test_the_manager_lists_exceptions_by_kind_and_state_and_resolves_them_with_a_note(api, store):
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), payment={"method": "cash", "amount_fen": 2700}))
    api.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 0})
    api.post("/api/v1/sales", json=sale_body(("CHEESECAKE", 1)))
    listed = api.get("/api/v1/exceptions", role="manager").json()
    assert sorted(e["kind"] for e in listed["exceptions"]) == ["price", "stock_below_zero"]
    assert listed["open_count"] == 2
    price = api.get("/api/v1/exceptions", role="manager", params={"kind": "price"}).json()["exceptions"]
    assert len(price) == 1
    done = api.post(f"/api/v1/exceptions/{price[0]['exception_id']}/resolve", role="manager",
                    json={"note": "cashier gave ¥1 off for a chipped cup"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["resolved_note"]) == ("resolved", "cashier gave ¥1 off for a chipped cup")
    still_open = api.get("/api/v1/exceptions", role="manager", params={"open": "true"}).json()
    assert [e["kind"] for e in still_open["exceptions"]] == ["stock_below_zero"] and still_open["open_count"] == 1
    resolved = api.get("/api/v1/exceptions", role="manager", params={"open": "false"}).json()["exceptions"]
    assert [e["exception_id"] for e in resolved] == [price[0]["exception_id"]]


def test_the_exceptions_list_is_the_managers_and_bad_queries_name_the_field(api):
    assert api.get("/api/v1/exceptions", role="lane").status_code == 403
    assert api.get("/api/v1/exceptions", role=None).status_code == 401
    for params, field in (({"limit": 0}, "limit"), ({"kind": "DROP TABLE"}, "kind"), ({"open": "maybe"}, "open")):
        r = api.get("/api/v1/exceptions", role="manager", params=params)
        assert r.status_code == 400 or r.status_code == 422, r.text
        assert field in r.text
    missing = api.post("/api/v1/exceptions/nope/resolve", role="manager", json={"note": "x"})
    assert missing.status_code == 404
    empty = api.post("/api/v1/exceptions/nope/resolve", role="manager", json={"note": ""})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "note"


def test_a_void_gives_back_what_was_charged(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member_id,
                                                    payment={"method": "cash", "amount_fen": 5000})).json()
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "refund"})
    spend = store.reader.conn.execute("SELECT lifetime_spend_fen FROM members WHERE member_id = ?",
                                      (member_id,)).fetchone()[0]
    assert spend == 0
    (voided,) = events(store, "sale.voided")
    assert voided["charged_fen"] == 5000 and voided["total_fen"] == 5600
