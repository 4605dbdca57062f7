"""The customer owns their profile: a birthday given on joining, corrected on the member page or at
the till; the member page says what the membership holds (held points, coupons with conditions, tier)."""

from datetime import timedelta

import msgspec
import pytest
from join_helpers import csrf_of, join_by_form, path_of

from edge.pages.web import form_birthday
from edge.services.personal_data import open_sealed

from builders import enrol_body, quote_body, sale_body


def events(store, type_: str) -> list[dict]:
    rows = store.reader.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (type_,)).fetchall()
    return [msgspec.json.decode(r[0]) for r in rows]


def standee_url(api) -> str:
    return api.post("/api/v1/standees", json={"label": "门口", "welcome_campaign_id": "welcome-5"},
                    role="manager").json()["url"]


def birthday_of(store, phone: str = "+8613800138000") -> str | None:
    return store.reader.conn.execute("SELECT birthday FROM members WHERE phone_e164 = ?", (phone,)).fetchone()[0]


def test_the_join_page_asks_for_a_birthday_as_optional_and_says_why(api):
    page = api.client.get(path_of(standee_url(api)))
    assert 'name="birthday_month"' in page.text and 'name="birthday_day"' in page.text
    assert "（可选）" in page.text and "生日优惠" in page.text  # no birthday campaign in the demo: the general reason
    api.post("/api/v1/campaigns", role="manager", json={
        "campaign_id": "birthday-cake", "kind": "birthday", "name_zh": "生日蛋糕八折", "name_en": "Birthday cake 20% off",
        "benefit": {"type": "percent_off", "bps": 2000}, "applies_to": "unit", "scope": {"categories": ["pastry"]},
        "conditions": {"window_days": 3}, "limits": {"per_member": 1}})
    page = api.client.get(path_of(standee_url(api)))
    assert "「生日蛋糕八折」8折" in page.text  # the reason names the offer actually running


def test_a_birthday_given_on_joining_is_kept_and_leaving_it_out_is_fine(api, store):
    assert join_by_form(api.client, standee_url(api), birthday_month="02", birthday_day="29").status_code == 303
    assert birthday_of(store) == "02-29"
    assert join_by_form(api.client, standee_url(api), "13900139000").status_code == 303
    assert birthday_of(store, "+8613900139000") is None


@pytest.mark.parametrize(("month", "day"), [("02", "30"), ("13", "01"), ("04", ""), ("", "12"), ("123", "05")])
def test_a_birthday_that_is_not_a_day_of_the_year_is_refused_and_nobody_joins(api, store, month, day):
    r = join_by_form(api.client, standee_url(api), birthday_month=month, birthday_day=day)
    assert r.status_code == 422 and 'data-field="birthday"' in r.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_the_member_corrects_their_birthday_on_their_page_and_hq_hears_of_it(api, store):
    join_by_form(api.client, standee_url(api), birthday_month="03", birthday_day="15")
    page = api.client.get("/m")
    assert 'value="03" selected' in page.text and 'value="15" selected' in page.text
    r = api.client.post("/m/profile", data={"csrf": csrf_of(page.text), "birthday_month": "03", "birthday_day": "16"})
    assert r.status_code == 200 and birthday_of(store) == "03-16"
    member_id = events(store, "member.joined")[0]["member_id"]
    updated = events(store, "member.updated")[-1]
    assert updated | {"at": None, "personal": None} == {
        "member_id": member_id, "reason": "profile_updated", "channel": "member_page", "at": None, "personal": None}
    # the birthday travels sealed with the member's data key, which an erasure destroys
    key = bytes(store.reader.conn.execute("SELECT key FROM data_keys WHERE member_id = ?", (member_id,)).fetchone()[0])
    assert open_sealed(updated["personal"], key) == {"birthday": "03-16"}
    api.client.post("/m/profile", data={"csrf": csrf_of(page.text), "birthday_month": "", "birthday_day": ""})
    assert birthday_of(store) is None
    wrong = api.client.post("/m/profile", data={"csrf": csrf_of(page.text), "birthday_month": "02",
                                                "birthday_day": "31"})
    assert 'id="member-error"' in wrong.text and birthday_of(store) is None
    forged = api.client.post("/m/profile", data={"csrf": "forged", "birthday_month": "01", "birthday_day": "01"})
    assert forged.status_code == 403 and birthday_of(store) is None


def test_the_cashier_corrects_a_birthday_at_the_till_and_through_the_api(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body(birthday="07-01")).json()["member_id"]
    r = api.client.put(f"/api/v1/members/{member_id}/birthday", json={"birthday": "07-10"},
                       headers={"Authorization": f"Bearer {api.keys['lane']}"})
    assert r.json() == {"member_id": member_id, "birthday": "07-10"}
    bad = api.client.put(f"/api/v1/members/{member_id}/birthday", json={"birthday": "02-30"},
                         headers={"Authorization": f"Bearer {api.keys['lane']}"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "birthday"
    login = api.client.get("/staff/login", params={"next": "/till"})
    api.client.post("/staff/login", data={"csrf": csrf_of(login.text), "next": "/till", "key": api.keys["lane"]})
    till = api.client.post("/till/lookup", data={"csrf": csrf_of(login.text), "q": "13800138000"})
    assert 'id="till-birthday"' in till.text and 'value="07" selected' in till.text
    saved = api.client.post("/till/birthday", data={"csrf": csrf_of(login.text), "member_id": member_id,
                                                    "birthday_month": "08", "birthday_day": "02"})
    assert 'id="birthday-saved"' in saved.text and birthday_of(store) == "08-02"
    assert [e["channel"] for e in events(store, "member.updated")] == ["api", "till"]


def test_a_birthday_in_the_enrolment_api_must_be_a_real_day(api):
    r = api.post("/api/v1/members", json=enrol_body(birthday="02-31"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "birthday"


def test_the_member_page_shows_held_points_and_when_they_free_up(api, clock):
    join_by_form(api.client, standee_url(api))
    member_id = api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()["member_id"]
    api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member_id))  # ¥56 - ¥5 welcome: 51 points
    page = api.client.get("/m").text
    release = (clock.now + timedelta(days=7)).astimezone(api.client.app.state.store.tz).strftime("%Y-%m-%d %H:%M")
    assert 'id="held-points"' in page and "另有 51 积分待生效" in page and f"51 积分，{release} 起可用" in page


def test_the_member_page_shows_each_coupon_with_its_conditions_and_expiry(api, clock):
    join_by_form(api.client, standee_url(api))
    page = api.client.get("/m").text
    expires = (clock.now + timedelta(days=14)).astimezone(api.client.app.state.store.tz).strftime("%Y-%m-%d %H:%M")
    assert "新人立减5元" in page and "满¥20可用" in page and f"有效期至 {expires}" in page
    english = api.client.get("/m", params={"lang": "en"}).text
    assert "on orders of ¥20 or more" in english and "¥5 off" in english


def test_the_member_page_says_what_the_next_tier_needs(api):
    join_by_form(api.client, standee_url(api))
    member_id = api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()["member_id"]
    assert "再消费 ¥500.00 升级为银卡会员（会员价95折，1.2倍积分）" in api.client.get("/m").text
    api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 2), member_id=member_id))  # ¥196 - ¥5 paid
    assert "再消费 ¥309.00 升级为银卡会员" in api.client.get("/m").text
    assert "Spend ¥309.00 more to reach Silver (5% off, 1.2x points)" in api.client.get("/m?lang=en").text


def test_a_checkout_join_with_a_birthday_keeps_it_without_changing_the_pitched_price(api):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1))).json()
    join_by_form(api.client, quote["join"]["url"], birthday_month="11", birthday_day="24")
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), checkout_id=quote["checkout_id"])).json()
    assert again["total_fen"] == quote["join"]["total_if_joined_fen"]  # no birthday campaign in the demo


@pytest.mark.parametrize(("month", "day", "read"), [("3", "5", "03-05"), ("", "", None), ("12", "31", "12-31")])
def test_the_forms_read_a_birthday_whole(month, day, read):
    assert form_birthday({"birthday_month": month, "birthday_day": day}) == read


@pytest.mark.parametrize(("month", "day"), [("123", "05"), ("12", "310"), ("1", "")])
def test_a_forms_birthday_is_never_cut_short_into_another_day(month, day):
    with pytest.raises(ValueError):  # "123" is not month 12, "310" not the 31st
        form_birthday({"birthday_month": month, "birthday_day": day})
