"""The member page and the member's rights: their code, their data, consent withdrawal, erasure."""


import msgspec
from join_helpers import csrf_of, join_by_form
from litestar.testing import TestClient

from edge.app import create_app
from edge.pages.ratelimit import RateLimits, TokenBucket

from builders import sale_body


def joined_member(api, **form) -> str:
    standee = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()
    assert join_by_form(api.client, standee["url"], **form).status_code == 303
    return api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()["member_id"]


def events(store, type_: str) -> list[dict]:
    return [msgspec.json.decode(r[0]) for r in
            store.reader.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (type_,))]


def test_the_member_page_without_a_session_shows_nothing_of_anyone(api):
    joined_member(api)
    api.client.cookies.clear()
    page = api.client.get("/m")
    assert page.status_code == 401 and "138****8000" not in page.text
    assert api.client.get("/m/code.png").status_code == 401
    assert api.client.get("/m/data.json").status_code == 401


def test_the_member_downloads_their_data_as_json(api):
    member_id = joined_member(api, marketing="yes")
    api.post("/api/v1/sales", json=sale_body(member_id=member_id))
    r = api.client.get("/m/data.json")
    data = r.json()
    assert r.headers["content-disposition"].startswith("attachment")
    assert data["member"]["member_id"] == member_id and data["member"]["phone_e164"] == "+8613800138000"
    assert {(c["purpose"], c["granted"]) for c in data["consents"]} == {("membership", 1), ("marketing", 1),
                                                                         ("payment_link", 0)}
    assert len(data["sales"]) == 1 and data["points_held"][0]["points"] == 28  # held until past returns


def test_withdrawing_marketing_consent_records_it_clears_the_flag_and_tells_hq(api, store):
    member_id = joined_member(api, marketing="yes")
    token = csrf_of(api.client.get("/m").text)
    r = api.client.post("/m/consent", data={"csrf": token, "purpose": "marketing"}, follow_redirects=False)
    assert r.status_code == 303
    member = api.get("/api/v1/members/lookup", params={"member_id": member_id}).json()
    assert member["marketing_consent"] is False
    last = store.reader.conn.execute("SELECT purpose, granted, channel FROM consents ORDER BY id DESC LIMIT 1")
    assert tuple(last.fetchone()) == ("marketing", 0, "member_page")
    assert events(store, "member.updated")[-1]["purpose"] == "marketing"


def test_withdrawing_payment_link_consent_unlinks_the_payer(api, store):
    member_id = joined_member(api, payment_link="yes")
    sale = sale_body(member_id=member_id, payment={"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_x"})
    assert api.post("/api/v1/sales", json=sale).json()["payment"]["payer_linked"] is True
    token = csrf_of(api.client.get("/m").text)
    api.client.post("/m/consent", data={"csrf": token, "purpose": "payment_link"})
    assert api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_x"}).status_code == 404
    assert events(store, "member.updated")[-1]["payers_unlinked"] == 1


def test_deleting_the_membership_erases_the_person_keeps_the_sale_and_ends_the_session(api, store):
    member_id = joined_member(api)
    api.post("/api/v1/sales", json=sale_body(member_id=member_id, sale_id="kept"))
    token = csrf_of(api.client.get("/m").text)
    without_confirm = api.client.post("/m/delete", data={"csrf": token}, follow_redirects=False)
    assert without_confirm.status_code == 303
    r = api.client.post("/m/delete", data={"csrf": token, "confirm": "yes"})
    assert r.status_code == 200 and 'data-reason="deleted"' in r.text
    assert api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).status_code == 404
    assert tuple(store.reader.conn.execute("SELECT member_id FROM sales WHERE sale_id = 'kept'").fetchone()) == (None,)
    assert events(store, "member.erased")[0]["origin"] == "member"
    assert api.client.get("/m").status_code == 401


def test_a_member_form_with_a_wrong_csrf_token_changes_nothing(api):
    member_id = joined_member(api, marketing="yes")
    api.client.get("/m")
    r = api.client.post("/m/delete", data={"csrf": "forged", "confirm": "yes"})
    assert r.status_code == 403
    assert api.get("/api/v1/members/lookup", params={"member_id": member_id}).status_code == 200


def test_too_many_requests_from_one_address_get_429_on_the_join_page(store, api):
    app = create_app(store)
    app.state.rate_limits = RateLimits(address=TokenBucket(capacity=3, per_second=0.0001))
    url = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()["url"]
    path = "/" + url.split("/", 3)[3]
    with TestClient(app) as client:
        answers = [client.get(path).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_a_standee_with_a_welcome_campaign_gives_the_coupon_the_member_page_and_the_till_show(api):
    standee = api.post("/api/v1/standees", json={"label": "门口", "welcome_campaign_id": "welcome-5"},
                       role="manager").json()
    answer = join_by_form(api.client, standee["url"])
    assert "coupon=1" in answer.headers["location"]
    page = api.client.get(answer.headers["location"])
    assert "新人立减5元" in page.text and 'id="coupons"' in page.text
    found = api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()
    assert [c["campaign_id"] for c in found["coupons"]] == ["welcome-5"]
    # the member's referral code for cashier enrolment stands beside the link
    code = api.get(f"/api/v1/members/{found['member_id']}/referral-code").json()["referral_code"]
    assert code in page.text


def test_a_used_up_welcome_campaign_gives_no_coupon_and_the_customer_still_joins(api, store):
    campaign = {"campaign_id": "welcome-once", "kind": "welcome", "name_zh": "首位立减", "name_en": "First one off",
                "benefit": {"type": "amount_off", "fen": 300}, "issuance": {"type": "coupon", "valid_days": 7},
                "limits": {"total": 1}}
    assert api.post("/api/v1/campaigns", json=campaign, role="manager").status_code == 201
    standee = api.post("/api/v1/standees", json={"label": "门口", "welcome_campaign_id": "welcome-once"},
                       role="manager").json()
    first = join_by_form(api.client, standee["url"], phone="13800138000")
    api.client.cookies.clear()
    second = join_by_form(api.client, standee["url"], phone="13900139000")
    assert "coupon=1" in first.headers["location"] and second.status_code == 303
    assert "coupon=1" not in second.headers["location"]
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 2
    assert store.reader.conn.execute("SELECT count(*) FROM coupons WHERE campaign_id = 'welcome-once'"
                                     ).fetchone()[0] == 1
