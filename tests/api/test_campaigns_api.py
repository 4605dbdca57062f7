"""Campaigns over HTTP: the manager's list and create, flash offers in quotes, the coupon lifecycle."""

import asyncio
from datetime import UTC, datetime

import msgspec
import pytest

from edge.domain.campaigns import EXAMPLES
from edge.services import coupons
from edge.services.runtime import bump_reference
from edge.store import catalog

from builders import enrol_body, quote_body, sale_body

FRIDAY_5PM_SHANGHAI = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_the_manager_lists_the_demo_flash_and_member_day_campaigns(api):
    r = api.get("/api/v1/campaigns", role="manager")
    assert r.status_code == 200
    kinds = {c["campaign"]["campaign_id"]: (c["campaign"]["kind"], c["origin"]) for c in r.json()}
    assert kinds["flash-pastry"] == ("flash_inventory", "local")
    assert kinds["member-day-friday"] == ("member_day", "hq")


def test_a_lane_may_not_create_campaigns(api):
    assert api.post("/api/v1/campaigns", json=EXAMPLES["manual"], role="lane").status_code == 403


def test_a_campaign_is_created_then_replaced_by_the_same_id(api):
    r = api.post("/api/v1/campaigns", json=EXAMPLES["manual"], role="manager")
    assert r.status_code == 201 and r.json()["origin"] == "local"
    changed = dict(EXAMPLES["manual"], name_en="Beans: ¥20 off ¥100", benefit={"type": "amount_off", "fen": 2000})
    r = api.post("/api/v1/campaigns", json=changed, role="manager")
    assert r.status_code == 200
    listed = {c["campaign"]["campaign_id"]: c["campaign"] for c in api.get("/api/v1/campaigns", role="manager").json()}
    assert listed["beans-poster"]["benefit"] == {"type": "amount_off", "fen": 2000}


@pytest.mark.parametrize(("body", "field"), [
    ({**EXAMPLES["flash_inventory"], "scope": {}}, "scope.skus"),
    ({**EXAMPLES["manual"], "benefit": {"type": "percent_off", "bps": 20000}}, "benefit.bps"),
    ({**EXAMPLES["manual"], "conditions": {"time_from": "25:00", "time_to": "02:00"}}, "conditions.time_from"),
    ({**EXAMPLES["welcome"], "issuance": {"type": "automatic"}}, "issuance"),
])
def test_a_bad_campaign_is_refused_naming_the_field(api, body, field):
    r = api.post("/api/v1/campaigns", json=body, role="manager")
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(field in e["field"] or field in e.get("reason", "") for e in r.json()["errors"]), r.json()


def test_an_hq_campaign_cannot_be_replaced_locally(api):
    body = {**EXAMPLES["member_day"], "campaign_id": "member-day-friday"}
    r = api.post("/api/v1/campaigns", json=body, role="manager")
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "campaign_id"


def test_the_openapi_document_carries_one_campaign_example_per_kind(api):
    doc = api.get("/schema/openapi.json", role=None).json()
    body = doc["paths"]["/api/v1/campaigns"]["post"]["requestBody"]["content"]["application/json"]
    kinds = {example["kind"] for example in body["schema"]["examples"]}
    assert kinds == set(EXAMPLES)


def test_the_quote_shows_flash_prices_only_during_idle_hours(api, clock):
    assert api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 2))).json()["discount_fen"] == 0
    clock.set(TUESDAY_5PM_SHANGHAI)
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 2))).json()
    assert q["total_fen"] == 1500
    assert q["lines"][0]["discounts"][0]["rule_id"] == "flash-pastry"


def test_flash_units_stop_at_the_threshold_and_a_void_gives_them_back(api, clock):
    clock.set(TUESDAY_5PM_SHANGHAI)
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 13})
    first = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 5))).json()
    assert first["total_fen"] == 3 * 750 + 2 * 1500  # surplus 3 above the threshold of 10
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1))).json()
    assert q["discount_fen"] == 0
    api.post(f"/api/v1/sales/{first['sale_id']}/void", json={"reason": "customer changed mind"})
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 4))).json()
    assert q["total_fen"] == 3 * 750 + 1500


def member(api, phone="13800138000") -> str:
    return api.post("/api/v1/members", json=enrol_body(phone)).json()["member_id"]


def test_a_coupon_is_listed_used_once_restored_on_void_and_expires(api, clock):
    mid = member(api)
    issued = api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": mid}, role="manager")
    assert issued.status_code == 201
    code = issued.json()["code"]
    looked = api.get("/api/v1/members/lookup", params={"member_id": mid}).json()
    assert [c["code"] for c in looked["coupons"]] == [code]

    q = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": mid})).json()
    assert q["discount_fen"] == 500 and q["applied"][0]["rule_id"] == f"coupon:{code}"
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid)).json()
    assert sale["total_fen"] == 2300
    assert api.get(f"/api/v1/members/{mid}/coupons").json() == []
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": mid},
                                                                 coupon_codes=[code]))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "coupon_codes[0]"
    paid = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, coupon_codes=[code]))
    assert paid.status_code == 201 and paid.json()["total_fen"] == 2800  # paid: recorded, without the used coupon
    api.post(f"/api/v1/sales/{paid.json()['sale_id']}/void", json={"reason": "rung up twice"})

    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "wrong order"})
    assert [c["code"] for c in api.get(f"/api/v1/members/{mid}/coupons").json()] == [code]

    clock.advance(days=15)
    assert api.get(f"/api/v1/members/{mid}/coupons").json() == []
    late = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": mid},
                                                                coupon_codes=[code]))
    assert late.status_code == 409 and late.json()["errors"][0]["reason"] == "expired"


def test_expiry_marks_due_coupons_expired_with_an_event(api, store, clock):
    mid = member(api)
    api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": mid}, role="manager")
    clock.advance(days=14, seconds=1)
    assert asyncio.run(coupons.expire_due(store)) == 1
    events = store.reader.conn.execute("SELECT count(*) FROM outbox WHERE type = 'coupon.expired'").fetchone()[0]
    assert events == 1


def test_a_welcome_coupon_is_issued_once_per_member_and_campaign(api, store, clock):
    mid = member(api)
    first = store.writer.call(lambda conn: coupons.issue_welcome_coupon(conn, store, mid, "welcome-5", clock()))
    again = store.writer.call(lambda conn: coupons.issue_welcome_coupon(conn, store, mid, "welcome-5", clock()))
    assert first is not None and again is not None and first.code == again.code
    assert store.writer.call(lambda conn: coupons.issue_welcome_coupon(conn, store, mid, "no-such", clock())) is None


def test_a_coupon_of_another_member_is_refused(api):
    owner, other = member(api, "13800138000"), member(api, "13900139000")
    code = api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": owner},
                    role="manager").json()["code"]
    r = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": other},
                                                             coupon_codes=[code]))
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "coupon_codes[0]"


def test_an_unknown_coupon_code_is_a_422_naming_it(api):
    r = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), coupon_codes=["NOPE"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "coupon_codes[0]"


def test_member_day_boost_and_double_points_apply_on_friday(api, clock):
    api.post("/api/v1/campaigns", json={**EXAMPLES["anniversary"], "campaign_id": "friday-double",
                                        "kind": "manual", "conditions": {"weekdays": [5]}}, role="manager")
    mid = member(api)
    clock.set(FRIDAY_5PM_SHANGHAI)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid)).json()
    assert sale["discount_fen"] == 140  # 5% member-day boost on a regular member
    assert sale["points_earned"] == 2660 // 100 * 2


def hq_campaign(store, clock, body: dict) -> None:
    """Write a campaign as the sync engine does: a row with origin 'hq' and the reference bumped."""

    def write(conn):
        catalog.upsert_campaign(conn, body["campaign_id"], body["kind"], msgspec.json.encode(body), "hq", clock())
        bump_reference(conn)

    store.writer.call(write)


LATTE_OFF = {"kind": "manual", "name_zh": "拿铁减3元", "name_en": "Latte ¥3 off",
             "benefit": {"type": "amount_off", "fen": 300}, "applies_to": "unit", "scope": {"skus": ["LATTE"]}}


def test_a_store_spends_only_its_lease_of_an_hq_campaigns_chain_wide_cap(api, store, clock):
    hq_campaign(store, clock, {**LATTE_OFF, "campaign_id": "hq-leased", "limits": {"total": 100000, "store_cap": 2}})
    totals = [api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] for _ in range(3)]
    assert totals == [2500, 2500, 2800]
    events = store.reader.conn.execute("SELECT count(*) FROM outbox WHERE type = 'campaign.used'").fetchone()[0]
    assert events == 2


def test_an_hq_campaign_with_a_chain_wide_cap_and_no_lease_is_not_spent_here(api, store, clock):
    hq_campaign(store, clock, {**LATTE_OFF, "campaign_id": "hq-unleased", "limits": {"total": 100000}})
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] == 2800


def test_a_per_day_cap_counts_by_business_day_which_ends_at_four_in_the_morning(api, clock):
    api.post("/api/v1/campaigns", json={**LATTE_OFF, "campaign_id": "one-a-day", "limits": {"per_day": 1}},
             role="manager")
    clock.set(datetime(2026, 11, 24, 19, 30, tzinfo=UTC))  # 03:30 Wednesday in Shanghai: Tuesday's business day
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] == 2500
    clock.set(datetime(2026, 11, 24, 19, 50, tzinfo=UTC))  # 03:50: still Tuesday's, used up
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] == 2800
    clock.set(datetime(2026, 11, 24, 20, 10, tzinfo=UTC))  # 04:10: Wednesday's business day begins
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] == 2500


def test_the_quote_explains_how_many_units_sell_at_the_flash_price(api, clock):
    clock.set(TUESDAY_5PM_SHANGHAI)
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 12})
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 4))).json()
    note = next(n for n in q["notes"] if n["offer_id"] == "flash-pastry")
    assert note["applied"] and note["reason"].startswith("2 unit(s) at the flash price")


def test_a_void_reports_the_campaign_uses_it_gave_back(api, store, clock):
    clock.set(TUESDAY_5PM_SHANGHAI)
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 2))).json()
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "dropped"})
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "dropped"})
    rows = store.reader.conn.execute("SELECT payload FROM outbox WHERE type = 'campaign.use_voided'").fetchall()
    assert [msgspec.json.decode(r[0])["units"] for r in rows] == [2]


def test_a_member_recognised_by_payment_alone_keeps_their_coupons(api):
    consent = {"policy_version": "2026-01", "granted": True, "payment_link": True}
    mid = api.post("/api/v1/members", json=enrol_body(consent=consent)).json()["member_id"]
    wechat = {"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_payer"}
    api.post("/api/v1/sales", json=sale_body(("LEMON-TEA", 1), member_id=mid, payment=wechat))  # links the payer
    code = api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": mid},
                    role="manager").json()["code"]
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), payment=wechat)).json()
    assert sale["payment"]["recognised_member"] and sale["total_fen"] == 2800
    assert [c["code"] for c in api.get(f"/api/v1/members/{mid}/coupons").json()] == [code]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"campaign_id": "flash-pastry", "member_id": "x"}, 404, "member_id"),
    ({"campaign_id": "no-such", "member_id": "x"}, 404, "campaign_id"),
])
def test_issuing_a_coupon_names_what_is_missing(api, body, status, field):
    r = api.post("/api/v1/coupons", json=body, role="manager")
    assert r.status_code == status and r.json()["errors"][0]["field"] == field


def test_only_coupon_campaigns_issue_coupons_and_a_retry_with_the_same_key_issues_one(api):
    mid = member(api)
    r = api.post("/api/v1/coupons", json={"campaign_id": "flash-pastry", "member_id": mid}, role="manager")
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "campaign_id"
    body = {"campaign_id": "referral-10", "member_id": mid}
    first = api.post("/api/v1/coupons", json=body, role="manager", headers={"Idempotency-Key": "k-1"}).json()
    again = api.post("/api/v1/coupons", json=body, role="manager", headers={"Idempotency-Key": "k-1"}).json()
    assert first["code"] == again["code"]
    assert len(api.get(f"/api/v1/members/{mid}/coupons").json()) == 1


def test_the_lease_the_config_bundle_writes_at_the_top_of_the_body_caps_this_store(api, store, clock):
    hq_campaign(store, clock, {**LATTE_OFF, "campaign_id": "hq-bundle", "limits": {"total": 100000}, "store_cap": 1})
    totals = [api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).json()["total_fen"] for _ in range(2)]
    assert totals == [2500, 2800]


def test_a_campaign_row_that_does_not_decode_is_skipped_and_the_others_still_price(api, store, clock, caplog):
    hq_campaign(store, clock, {**LATTE_OFF, "campaign_id": "from-the-future", "benefit": {"type": "bogof"}})
    hq_campaign(store, clock, {**LATTE_OFF, "campaign_id": "fine"})
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1)))
    assert q.status_code == 200 and q.json()["total_fen"] == 2500
    assert "from-the-future" in caplog.text


def test_an_hq_body_without_its_id_and_kind_takes_them_from_the_bundle_row(api, store, clock):
    def write(conn):
        body = {k: v for k, v in LATTE_OFF.items() if k != "kind"}
        catalog.upsert_campaign(conn, "hq-bare", "manual", msgspec.json.encode(body), "hq", clock())
        bump_reference(conn)

    store.writer.call(write)
    assert api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1))).json()["total_fen"] == 2500
