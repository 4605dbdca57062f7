"""The pitch on a non-member's quote: `join.saving_fen`, priced by the same engine, and true after joining."""

from datetime import UTC, datetime

import pytest
from join_helpers import join_by_form

from builders import enrol_body, quote_body, sale_body

FRIDAY_10AM_SHANGHAI = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # the demo's member day


def quote(api, *pairs, **over) -> dict:
    r = api.post("/api/v1/checkouts/quote", json=quote_body(*pairs, **over))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_non_members_quote_pitches_the_welcome_coupon_it_would_use_and_the_requote_after_joining_agrees(api):
    first = quote(api, ("LATTE", 1), ("CROISSANT", 1))  # ¥43: the demo's ¥5-off-¥20 welcome fits
    pitch = first["join"]
    assert (first["total_fen"], pitch["saving_fen"], pitch["total_if_joined_fen"]) == (4300, 500, 3800)
    assert pitch["welcome_coupon"] == {"campaign_id": "welcome-5", "name_zh": "新人立减5元",
                                       "name_en": "Welcome ¥5 off", "applies_now": True}
    assert pitch["pitch_zh"] == "入会本单立省 ¥5.00" and pitch["pitch_en"] == "Join now: save ¥5.00 on this order"
    assert pitch["points_if_joined"] == 38
    assert join_by_form(api.client, pitch["url"]).status_code == 303
    again = quote(api, ("LATTE", 1), ("CROISSANT", 1), checkout_id=first["checkout_id"])
    assert again["member"] is not None and again["join"] is None
    assert again["total_fen"] == pitch["total_if_joined_fen"]
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), ("CROISSANT", 1),
                                                    checkout_id=first["checkout_id"])).json()
    assert sale["total_fen"] == pitch["total_if_joined_fen"] and sale["points_earned"] == pitch["points_if_joined"]


def test_on_a_member_day_the_pitch_adds_the_member_only_boost(api, clock):
    clock.set(FRIDAY_10AM_SHANGHAI)
    pitch = quote(api, ("LATTE", 1))["join"]
    assert pitch["saving_fen"] == 140 + 500  # 5% member day on ¥28, and the welcome coupon
    assert pitch["pitch_zh"] == "入会本单立省 ¥6.40"


def test_a_cashier_enrolment_during_the_checkout_brings_what_the_pitch_said(api):
    first = quote(api, ("FLAT-WHITE", 1))
    enrolled = api.post("/api/v1/members", json=enrol_body(checkout_id=first["checkout_id"])).json()
    again = quote(api, ("FLAT-WHITE", 1), checkout_id=first["checkout_id"], member={"member_id": enrolled["member_id"]})
    assert again["total_fen"] == first["join"]["total_if_joined_fen"] == 2500


def test_with_nothing_to_save_the_pitch_says_what_joining_does_give_and_names_no_saving(api):
    pitch = quote(api, ("LEMON-TEA", 1))["join"]  # ¥18: under the welcome coupon's ¥20, entry tier 0%
    assert pitch["saving_fen"] == 0 and pitch["total_if_joined_fen"] == 1800
    assert pitch["pitch_zh"] == "入会本单得 18 积分"
    assert "省" not in pitch["pitch_zh"] + pitch["pitch_detail_zh"] and "save" not in pitch["pitch_en"]
    assert "新人立减5元" in pitch["pitch_detail_zh"] and "下次使用" in pitch["pitch_detail_zh"]
    assert pitch["welcome_coupon"]["applies_now"] is False


def test_a_store_without_a_checkout_welcome_offer_promises_no_coupon(api):
    assert api.put("/api/v1/join-offers", json={"checkout_welcome_campaign_id": None}).status_code == 200
    pitch = quote(api, ("LATTE", 2))["join"]
    assert pitch["saving_fen"] == 0 and pitch["welcome_coupon"] is None
    assert "券" not in pitch["pitch_zh"] + pitch["pitch_detail_zh"]
    assert pitch["pitch_zh"] == "入会本单得 56 积分"


def test_the_checkout_welcome_offer_must_be_a_coupon_campaign(api):
    r = api.put("/api/v1/join-offers", json={"checkout_welcome_campaign_id": "flash-pastry"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "checkout_welcome_campaign_id"
    assert api.put("/api/v1/join-offers", json={"checkout_welcome_campaign_id": "nope"}).status_code == 422
    assert api.put("/api/v1/join-offers", json={"checkout_welcome_campaign_id": "welcome-5"}, role="lane"
                   ).status_code == 403


def test_a_welcome_campaign_with_no_coupons_left_is_not_pitched(api, store):
    api.post("/api/v1/campaigns", role="manager", json={
        "campaign_id": "welcome-first-1", "kind": "welcome", "name_zh": "前1名减8元", "name_en": "First one ¥8 off",
        "benefit": {"type": "amount_off", "fen": 800}, "issuance": {"type": "coupon", "valid_days": 7},
        "limits": {"total": 1}})
    api.put("/api/v1/join-offers", json={"checkout_welcome_campaign_id": "welcome-first-1"})
    first = quote(api, ("LATTE", 1))
    assert first["join"]["saving_fen"] == 800
    join_by_form(api.client, first["join"]["url"])  # the one coupon goes to this customer
    later = quote(api, ("LATTE", 1), lane_id="L2")
    assert later["join"]["saving_fen"] == 0 and later["join"]["welcome_coupon"] is None


def test_a_members_quote_carries_no_pitch_and_the_display_never_asks_them_to_join(api):
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    q = quote(api, ("LATTE", 1), member={"member_id": member_id}, lane_id="L5")
    assert q["join"] is None
    view = api.get(f"/api/v1/checkouts/{q['checkout_id']}").json()
    assert view["join"] is None and view["member"]["member_id"] == member_id


@pytest.mark.parametrize("pay_offline_first", [False, True])
def test_a_checkout_join_counts_once_in_the_join_rate_with_or_without_requoting(api, pay_offline_first):
    first = quote(api, ("LATTE", 1))
    join_by_form(api.client, first["join"]["url"])
    if not pay_offline_first:
        quote(api, ("LATTE", 1), checkout_id=first["checkout_id"])
        quote(api, ("LATTE", 1), checkout_id=first["checkout_id"])
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id=first["checkout_id"])).json()
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id=sale["sale_id"], checkout_id=first["checkout_id"]))
    rate = api.get("/api/v1/reports/join-rate", params={"by": "source"}, role="manager").json()
    assert rate["rows"] == [{"key": "checkout_qr", "transactions": 1, "nonmember_transactions": 1, "joins": 1,
                             "join_rate_bps": 10000}]


def test_cancelling_a_checkout_clears_its_qr_and_a_paid_one_cannot_be_cancelled(api):
    first = quote(api, ("LATTE", 1), lane_id="L6")
    lane = {"Authorization": f"Bearer {api.keys['lane']}"}
    assert api.client.delete(f"/api/v1/checkouts/{first['checkout_id']}", headers=lane).json()["status"] == "cancelled"
    assert api.get(f"/api/v1/checkouts/{first['checkout_id']}").json()["join"] is None
    paid = quote(api, ("LATTE", 1), lane_id="L6")
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), lane_id="L6", checkout_id=paid["checkout_id"]))
    r = api.client.delete(f"/api/v1/checkouts/{paid['checkout_id']}", headers=lane)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "checkout_id"
    assert api.client.delete("/api/v1/checkouts/nobody", headers=lane).status_code == 404
