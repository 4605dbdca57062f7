"""Every bad input: 4xx problem+json naming the field, and nothing written."""

import pytest

from builders import enrol_body, quote_body, sale_body

TABLES = ("members", "sales", "sale_lines", "points_ledger", "outbox", "consents", "payment_identities")


def snapshot(store) -> dict:
    conn = store.reader.conn
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    counts["stock"] = conn.execute("SELECT sum(on_hand) FROM inventory").fetchone()[0]
    return counts


def assert_problem(r, status, field):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:store-edge:problem:") and body["title"]
    assert field in [e["field"] for e in body["errors"]], body


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/api/v1/members", enrol_body("12345"), 422, "phone"),
    ("/api/v1/members", enrol_body("010 6552 9988"), 422, "phone"),
    ("/api/v1/members", enrol_body(consent={"policy_version": "2026-01", "granted": False}), 422, "consent.granted"),
    ("/api/v1/members", {k: v for k, v in enrol_body().items() if k != "consent"}, 422, "consent"),
    ("/api/v1/members", enrol_body(birthday="13-01"), 422, "birthday"),
    ("/api/v1/members", enrol_body(source="carrier-pigeon"), 422, "source"),
    ("/api/v1/members", enrol_body(nickname="x"), 422, "nickname"),
    ("/api/v1/sales", sale_body(("LATTE", 0)), 422, "lines[0].qty"),
    ("/api/v1/sales", sale_body(("LATTE", -2)), 422, "lines[0].qty"),
    ("/api/v1/sales", sale_body(lines=[{"sku": "LATTE", "qty": 1, "unit_price_fen": 12.5}]), 422,
     "lines[0].unit_price_fen"),
    ("/api/v1/sales", sale_body(lines=[{"sku": "LATTE", "qty": 1.0}]), 422, "lines[0].qty"),
    ("/api/v1/sales", sale_body(lines=[{"sku": "LATTE", "qty": "1"}]), 422, "lines[0].qty"),
    ("/api/v1/sales", sale_body(("NO-SUCH-SKU", 1)), 422, "lines[0].sku"),
    ("/api/v1/sales", sale_body(lines=[]), 422, "lines"),
    ("/api/v1/sales", sale_body(payment={"method": "cash", "amount_fen": -1}), 422, "payment.amount_fen"),
    ("/api/v1/sales", sale_body(offline=True), 422, "rung_up_at"),
    ("/api/v1/sales", sale_body(offline=True, rung_up_at="yesterday at noon"), 422, "rung_up_at"),
    ("/api/v1/sales", sale_body(offline=True, rung_up_at="2026-13-45T99:00:00Z"), 422, "rung_up_at"),
    ("/api/v1/sales", sale_body(enrolment={"phone": "12345", "consent": {"policy_version": "2026-01",
                                                                         "granted": True}}), 422, "enrolment.phone"),
    ("/api/v1/sales", sale_body(enrolment={"phone": "13900139000", "consent": {"policy_version": "2026-01",
                                                                               "granted": False}}),
     422, "enrolment.consent.granted"),
    ("/api/v1/sales", sale_body(payment={"method": "cash", "amount_fen": 2800.0}), 422, "payment.amount_fen"),
    ("/api/v1/checkouts/quote", quote_body(("LATTE", 1), payer={"provider": "wechat"}), 422, "payer.payer_id"),
    ("/api/v1/sales", sale_body(payment={"method": "wechat_pay", "payer_id": "o-1"}), 422, "payment.provider"),
    ("/api/v1/sales", sale_body(member_id="no-such-member"), 404, "member_id"),
    ("/api/v1/sales", sale_body(sale_id="has spaces"), 422, "sale_id"),
    ("/api/v1/checkouts/quote", quote_body(("LATTE", 1), member={"phone": "13900139000"}), 404, "member.phone"),
    ("/api/v1/checkouts/quote", quote_body(("CROISSANT", 10_000)), 422, "lines[0].qty"),
])
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(api, store, path, body, status, field):
    before = snapshot(store)
    assert_problem(api.post(path, json=body), status, field)
    assert snapshot(store) == before


def test_a_body_of_a_megabyte_is_refused_with_413_and_writes_nothing(api, store):
    before = snapshot(store)
    huge = sale_body(cashier_id="C1", lines=[{"sku": "LATTE", "qty": 1}] * 1, note="x" * 1_000_000)
    assert_problem(api.post("/api/v1/sales", json=huge), 413, "body")
    assert snapshot(store) == before


def test_a_body_that_is_not_json_is_a_400_problem(api, store):
    before = snapshot(store)
    r = api.post("/api/v1/sales", content=b'{"sale_id": "s1", "lines": [', headers={"content-type": "application/json"})
    assert_problem(r, 400, "body")
    assert snapshot(store) == before


def test_unknown_report_grouping_and_bad_dates_are_problems(api):
    assert_problem(api.get("/api/v1/reports/join-rate", role="manager", params={"by": "weather"}), 422, "by")
    assert_problem(api.get("/api/v1/reports/join-rate", role="manager", params={"from": "yesterday"}), 422, "from")
    assert_problem(api.get("/api/v1/reports/join-rate", role="manager",
                           params={"from": "2026-11-10", "to": "2026-11-01"}), 422, "to")


def test_an_unknown_path_is_a_404_problem(api):
    r = api.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
