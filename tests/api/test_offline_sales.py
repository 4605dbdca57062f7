"""Sales rung up offline always land: in order, at the charged amount, on the business day they were
rung up, with stock below zero allowed and the offline enrolment counted; a replay the edge refuses is
kept at the edge, never only on the POS."""

import msgspec

from builders import sale_body

REPLAY = {"X-Offline-Replay": "1"}
CONSENT = {"policy_version": "2026-01", "granted": True}


def offline(*pairs, rung_up_at: str, **over) -> dict:
    return sale_body(*pairs, offline=True, rung_up_at=rung_up_at, **over)


def events(store, type_: str) -> list[dict]:
    return [msgspec.json.decode(p) for (p,) in
            store.reader.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (type_,))]


def test_an_offline_sale_lands_on_the_business_day_it_was_rung_up_at_the_charged_amount(api, store):
    # the edge's clock says Tuesday 10:00; the till rang this up at 01:30 on Tuesday night (Monday's business day)
    r = api.post("/api/v1/sales", headers=REPLAY, json=offline(
        ("LATTE", 1), sale_id="off-1", rung_up_at="2026-11-23T17:30:00Z", payment={"method": "cash",
                                                                                   "amount_fen": 2800}))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["offline"] is True and body["rung_up_at"] == "2026-11-23T17:30:00.000Z"
    assert body["receipt"]["business_day"] == "2026-11-23" and body["payment"]["amount_fen"] == 2800
    assert body["exception"]["kind"] == "offline" and body["exception"]["difference_fen"] == 0
    (completed,) = events(store, "sale.completed")
    assert completed["business_day"] == "2026-11-23" and completed["offline"] is True
    assert completed["rung_up_at"] == "2026-11-23T17:30:00.000Z" and completed["charged_fen"] == 2800
    listed = api.get("/api/v1/exceptions", role="manager", params={"kind": "offline"}).json()["exceptions"]
    assert [e["sale_id"] for e in listed] == ["off-1"]


def test_an_offline_sale_past_the_count_takes_stock_below_zero_and_keeps_what_the_till_charged(api, store):
    api.put("/api/v1/inventory/CHEESECAKE", json={"on_hand": 1})
    r = api.post("/api/v1/sales", headers=REPLAY, json=offline(
        ("CHEESECAKE", 3), rung_up_at="2026-11-24T01:00:00Z", payment={"method": "cash", "amount_fen": 9000}))
    assert r.status_code == 201
    exc = r.json()["exception"]
    assert (exc["kind"], exc["charged_fen"], exc["difference_fen"]) == ("offline", 9000, 9000 - exc["edge_total_fen"])
    kinds = sorted(e["kind"] for e in api.get("/api/v1/exceptions", role="manager").json()["exceptions"])
    assert kinds == ["offline", "stock_below_zero"]
    assert store.reader.conn.execute("SELECT on_hand FROM inventory WHERE sku = 'CHEESECAKE'").fetchone()[0] == -2


def test_offline_sales_replayed_in_order_are_recorded_in_that_order_once(api, store):
    times = ["2026-11-24T01:00:00Z", "2026-11-24T01:05:00Z", "2026-11-24T01:07:30Z"]
    bodies = [offline(("LATTE", 1), sale_id=f"off-{n}", rung_up_at=t) for n, t in enumerate(times)]
    for body in bodies + bodies:  # the journal flushed twice: the second pass answers the first answers
        assert api.post("/api/v1/sales", headers=REPLAY, json=body).status_code == 201
    assert [e["sale_id"] for e in events(store, "sale.completed")] == ["off-0", "off-1", "off-2"]


def test_an_offline_enrolment_joins_at_that_checkout_and_counts_in_the_join_rate(api, store):
    r = api.post("/api/v1/sales", headers=REPLAY, json=offline(
        ("LATTE", 1), sale_id="off-join", checkout_id="co-off-1", rung_up_at="2026-11-24T01:00:00Z",
        enrolment={"phone": "139 0013 9000", "consent": CONSENT}))
    assert r.status_code == 201, r.text
    member = r.json()["member"]
    assert member is not None and member["join_source"] == "cashier"
    (joined,) = events(store, "member.joined")
    assert joined["checkout_id"] == "co-off-1" and joined["lane_id"] == "L1"
    report = api.get("/api/v1/reports/join-rate", role="manager",
                     params={"from": "2026-11-24", "to": "2026-11-24"}).json()
    assert (report["total"]["nonmember_transactions"], report["total"]["joins"]) == (1, 1)


def test_an_offline_enrolment_of_a_phone_already_a_member_attaches_that_member_and_is_not_a_join(api, store):
    first = api.post("/api/v1/members", json={"phone": "13900139000", "consent": CONSENT, "source": "cashier",
                                              "lane_id": "L1", "cashier_id": "C1"}).json()["member_id"]
    r = api.post("/api/v1/sales", headers=REPLAY, json=offline(
        ("LATTE", 1), rung_up_at="2026-11-24T01:00:00Z", enrolment={"phone": "13900139000", "consent": CONSENT}))
    assert r.json()["member"]["member_id"] == first
    report = api.get("/api/v1/reports/join-rate", role="manager",
                     params={"from": "2026-11-24", "to": "2026-11-24"}).json()
    assert (report["total"]["nonmember_transactions"], report["total"]["joins"]) == (0, 0)


def test_a_replay_the_edge_refuses_is_kept_at_the_edge_once_without_the_raw_payer_id(api, store):
    bad = offline(("LATTE", 1), sale_id="off-bad", rung_up_at="2026-11-24T01:00:00Z",
                  payment={"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_secret_payer"},
                  member_id="no-such-member")
    for _ in range(3):  # the POS retries it with backoff
        r = api.post("/api/v1/sales", headers=REPLAY, json=bad)
        assert r.status_code == 404 and r.json()["errors"][0]["field"] == "member_id"
    (kept,) = api.get("/api/v1/exceptions", role="manager", params={"kind": "replay_refused"}).json()["exceptions"]
    assert kept["sale_id"] == "off-bad" and kept["lane_id"] == "L1" and "member_id" in kept["error"]
    assert "o6_secret_payer" not in kept["body"] and msgspec.json.decode(kept["body"])["lines"] == bad["lines"]
    raw = store.reader.conn.execute("SELECT count(*) FROM store_exceptions WHERE body LIKE '%o6_secret%'").fetchone()
    assert raw[0] == 0 and store.reader.conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0


def test_a_malformed_replay_is_kept_and_an_unmarked_or_unauthorised_one_is_not(api, store):
    r = api.post("/api/v1/sales", headers=REPLAY, content=b'{"sale_id": "off-trunc", "lines": [{"sku"')
    assert r.status_code == 400
    assert api.post("/api/v1/sales", json=offline(("LATTE", 1), rung_up_at="soon")).status_code == 422  # not marked
    assert api.post("/api/v1/sales", role=None, headers=REPLAY, json=offline(("LATTE", 0), rung_up_at="x")
                    ).status_code == 401
    missing = api.post("/api/v1/sales", headers=REPLAY, json=sale_body(("LATTE", 1), offline=True))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "rung_up_at"
    kept = api.get("/api/v1/exceptions", role="manager", params={"kind": "replay_refused"}).json()["exceptions"]
    assert len(kept) == 2
    assert any("rung_up_at" in e["error"] for e in kept) and any(e["body"].startswith('{"sale_id": "off-trunc"')
                                                                for e in kept)
