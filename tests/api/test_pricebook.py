"""The lane's price book: what a till prices with offline, its phone hashes, and its cheap refresh."""

import hashlib
import hmac
from datetime import UTC, datetime

from edge.domain.campaigns import EXAMPLES
from edge.services.erasure import erase_member

from builders import enrol_body, sale_body

SATURDAY_0130_SHANGHAI = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # business day: Friday the 27th
FRIDAY_10AM_SHANGHAI = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def book(api, **kw):
    r = api.get("/api/v1/pricebook", **kw)
    assert r.status_code == 200, r.text
    return r


def test_the_book_carries_the_catalog_tiers_and_member_day_rules_the_edge_prices_by(api):
    body = book(api).json()
    catalog = {x["sku"]: x for x in api.get("/api/v1/catalog").json()}
    assert {x["sku"]: x["price_fen"] for x in body["catalog"]} == {s: x["price_fen"] for s, x in catalog.items()}
    assert {x["sku"] for x in body["catalog"] if not x["member_discount"]} == {"GIFT-CARD-100"}
    assert [(t["tier_id"], t["discount_bps"]) for t in body["tiers"]] == [("regular", 0), ("silver", 500),
                                                                       ("gold", 1000)]
    (friday,) = body["member_days"]
    assert (friday["campaign_id"], friday["boost_bps"], friday["weekdays"]) == ("member-day-friday", 500, [5])
    assert body["other_offers"] == ["flash-pastry"]  # the till does not price it offline, and says so
    assert (body["timezone"], body["business_day_start"], body["region"]) == ("Asia/Shanghai", "04:00", "CN")


def test_a_local_member_day_comes_with_its_conditions_and_another_stores_does_not(api):
    gold_pastry = {**EXAMPLES["member_day"], "campaign_id": "gold-pastry-tue", "benefit":
                   {"type": "percent_off", "bps": 800}, "scope": {"categories": ["pastry"]},
                   "conditions": {"weekdays": [2], "tiers": ["gold"], "min_spend_fen": 3000,
                                  "time_from": "07:00", "time_to": "11:00", "date_to": "2026-12-31"}}
    elsewhere = {**EXAMPLES["member_day"], "campaign_id": "other-store-day", "scope": {"store_ids": ["s-999"]}}
    for campaign in (gold_pastry, elsewhere):
        assert api.post("/api/v1/campaigns", json=campaign, role="manager").status_code == 201
    rules = {r["campaign_id"]: r for r in book(api).json()["member_days"]}
    assert set(rules) == {"member-day-friday", "gold-pastry-tue"}
    rule = rules["gold-pastry-tue"]
    assert (rule["boost_bps"], rule["categories"], rule["tiers"], rule["min_spend_fen"]) == (800, ["pastry"],
                                                                                           ["gold"], 3000)
    assert (rule["time_from"], rule["time_to"], rule["date_to"]) == ("07:00", "11:00", "2026-12-31")
    assert rule["expires_at"] == "2026-12-31T20:00:00.000Z"  # the 31st's business day ends 04:00 in Shanghai


def test_today_s_member_days_follow_the_business_day(api, clock):
    assert book(api).json()["member_days_today"] == []  # Tuesday
    clock.set(FRIDAY_10AM_SHANGHAI)
    assert book(api).json()["member_days_today"] == ["member-day-friday"]
    clock.set(SATURDAY_0130_SHANGHAI)
    body = book(api).json()
    assert body["business_day"] == "2026-11-27" and body["member_days_today"] == ["member-day-friday"]


def test_members_are_listed_by_a_store_key_hash_with_tier_and_masked_phone_never_the_raw_phone(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body("13800138000")).json()["member_id"]
    r = book(api)
    body = r.json()
    (entry,) = body["members"]
    key = bytes.fromhex(body["phone_key"]["key"])
    assert entry["phone_hash"] == hmac.new(key, b"phone|+8613800138000", hashlib.sha256).hexdigest()
    assert (entry["member_id"], entry["tier_id"], entry["phone_masked"]) == (member_id, "regular", "138****8000")
    assert b"13800138000" not in r.content
    # not the chain key: a till's key cannot forge member codes or recognise payers anywhere in the chain
    assert key != store.chain_key
    chain_hash = store.reader.conn.execute("SELECT phone_hash FROM members").fetchone()[0]
    assert entry["phone_hash"] != chain_hash


def test_members_not_seen_within_the_window_and_erased_members_are_left_out(api, store, clock):
    old = api.post("/api/v1/members", json=enrol_body("13800138001")).json()["member_id"]
    clock.advance(days=31)
    recent = api.post("/api/v1/members", json=enrol_body("13800138002")).json()["member_id"]
    gone = api.post("/api/v1/members", json=enrol_body("13800138003")).json()["member_id"]
    assert {m["member_id"] for m in book(api).json()["members"]} == {recent, gone}
    store.writer.call(lambda c: erase_member(c, "demo-001", gone, store.clock(), "member"))
    assert {m["member_id"] for m in book(api).json()["members"]} == {recent}
    # a sale brings a member back into the window
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=old)).status_code == 201
    assert {m["member_id"] for m in book(api).json()["members"]} == {recent, old}


def test_a_refresh_with_the_current_version_is_a_304_and_a_change_makes_a_new_version(api, clock):
    first = book(api)
    etag = first.headers["etag"]
    assert etag == f'"{first.json()["version"]}"'
    again = api.get("/api/v1/pricebook", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # a sale without a member moves the outbox but not the book: still 304
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1))).status_code == 201
    clock.advance(seconds=5)
    assert api.get("/api/v1/pricebook", headers={"If-None-Match": etag}).status_code == 304
    api.post("/api/v1/members", json=enrol_body("13800138009"))
    changed = api.get("/api/v1/pricebook", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 3})  # stock is not in the book
    assert api.get("/api/v1/pricebook", headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_the_book_needs_a_lane_or_manager_key(api):
    assert api.get("/api/v1/pricebook", role=None).status_code == 401
    assert api.get("/api/v1/pricebook", role="hq").status_code == 403
    assert api.get("/api/v1/pricebook", role="manager").status_code == 200


def test_the_window_is_counted_back_from_now(api, clock):
    api.post("/api/v1/members", json=enrol_body("13800138004"))
    clock.advance(days=29, hours=23)
    assert len(book(api).json()["members"]) == 1
    clock.advance(hours=2)
    assert book(api).json()["members"] == []


def test_a_member_erased_by_hq_s_tombstone_leaves_a_book_the_till_already_has(api, store):
    """HQ's tombstone erases without an outbox event (it is not echoed back): the book still changes."""
    kept = api.post("/api/v1/members", json=enrol_body("13800138005")).json()["member_id"]
    gone = api.post("/api/v1/members", json=enrol_body("13800138006")).json()["member_id"]
    first = book(api)
    assert {m["member_id"] for m in first.json()["members"]} == {kept, gone}
    store.writer.call(lambda c: erase_member(c, "demo-001", gone, store.clock(), "hq", emit=False))
    after = api.get("/api/v1/pricebook", headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200, after.status_code
    assert {m["member_id"] for m in after.json()["members"]} == {kept}
    assert gone not in after.text and "8006" not in after.text
