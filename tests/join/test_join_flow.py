"""Scan-to-join through the real app and SQLite file: QR decoded back, URL followed, join recorded."""

import pytest
from join_helpers import csrf_of, decode_qr, join_by_form, path_of

from builders import quote_body, sale_body


def standee(api, **over) -> dict:
    r = api.post("/api/v1/standees", json={"label": "门口立牌", "location": "door", **over}, role="manager")
    assert r.status_code == 201, r.text
    return r.json()


def test_a_standee_qr_decodes_to_a_join_page_that_enrols_the_customer_with_the_standee_recorded(api, store):
    s = standee(api)
    url = decode_qr(api.get(path_of(s["qr_png_url"]), role=None).content)
    assert url == s["url"]
    answer = join_by_form(api.client, url, marketing="yes")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/m")
    row = [tuple(r) for r in store.reader.conn.execute("SELECT join_source, join_standee_id, marketing_consent, "
                                                       "payment_link_consent FROM members")]
    assert row == [("standee", s["standee_id"], 1, 0)]
    listed = api.get("/api/v1/standees", role="manager").json()
    assert (listed[0]["scans"], listed[0]["joins"]) == (1, 1)


def test_the_member_page_opens_with_the_session_cookie_set_by_the_join(api):
    answer = join_by_form(api.client, standee(api)["url"])
    page = api.client.get(answer.headers["location"])
    assert page.status_code == 200 and "138****8000" in page.text
    assert "my-membership" not in page.text  # the download is a link, the data are not on the page


def test_a_tampered_standee_token_gets_a_clear_page_and_no_join(api, store):
    url = standee(api)["url"]
    head, mac = url.rsplit(".", 1)
    tampered = head + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    page = api.client.get(path_of(tampered))
    assert page.status_code == 400 and 'data-reason="tampered"' in page.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_a_revoked_standee_leads_to_a_clear_page(api):
    s = standee(api)
    assert api.post(f"/api/v1/standees/{s['standee_id']}/revoke", role="manager").status_code == 200
    page = api.client.get(path_of(s["url"]))
    assert page.status_code == 410 and 'data-reason="revoked"' in page.text


def test_the_short_fallback_url_leads_to_the_standee_join_page(api):
    s = standee(api)
    answer = api.client.get(path_of(s["short_url"]).lower(), follow_redirects=False)
    assert answer.status_code == 303 and s["url"].endswith(answer.headers["location"])


def test_a_non_member_quote_carries_a_checkout_qr_and_joining_through_it_attaches_the_member(api):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2))).json()
    assert quote["member"] is None and quote["total_fen"] == 5600
    url = decode_qr(api.client.get(path_of(quote["join"]["qr_png_url"])).content)
    assert url == quote["join"]["url"]
    assert join_by_form(api.client, url).status_code == 303
    checkout = api.get(f"/api/v1/checkouts/{quote['checkout_id']}").json()
    assert checkout["member"]["phone_masked"] == "138****8000" and checkout["new_member"] is True
    requote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2), checkout_id=quote["checkout_id"]))
    assert requote.json()["member"]["member_id"] == checkout["member"]["member_id"]
    assert requote.json()["join"] is None


def test_a_checkout_qr_is_single_use_even_when_two_phones_opened_its_form(api, store):
    path = path_of(api.post("/api/v1/checkouts/quote", json=quote_body()).json()["join"]["url"])
    token = csrf_of(api.client.get(path).text)
    first = api.client.post(path, data={"csrf": token, "phone": "13800138000", "consent": "yes"},
                             follow_redirects=False)
    second = api.client.post(path, data={"csrf": token, "phone": "13900139000", "consent": "yes"})
    assert first.status_code == 303
    assert second.status_code == 410 and 'data-reason="used"' in second.text
    assert api.client.get(path).status_code == 410
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 1


def test_a_checkout_qr_lives_as_long_as_its_checkout_not_a_fixed_five_minutes(api, clock):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body()).json()
    clock.advance(minutes=30)
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2), checkout_id=quote["checkout_id"])).json()
    assert again["join"]["url"] == quote["join"]["url"]  # the same QR for the whole checkout
    assert api.client.get(path_of(quote["join"]["url"])).status_code == 200


@pytest.mark.parametrize(("close", "status", "reason"), [
    ("cancel", 410, "revoked"), ("pay", 410, "used"), ("next checkout", 410, "expired")])
def test_a_checkout_qr_leads_to_no_join_once_its_checkout_is_over(api, close, status, reason):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body()).json()
    if close == "cancel":
        assert api.client.delete(f"/api/v1/checkouts/{quote['checkout_id']}",
                                 headers={"Authorization": f"Bearer {api.keys['lane']}"}).json()["status"] == "cancelled"
    elif close == "pay":
        api.post("/api/v1/sales", json=sale_body(checkout_id=quote["checkout_id"]))
    else:
        api.post("/api/v1/checkouts/quote", json=quote_body())  # the lane moved on to another customer
    page = api.client.get(path_of(quote["join"]["url"]))
    assert page.status_code == status and f'data-reason="{reason}"' in page.text


def test_a_sale_after_a_checkout_join_counts_as_a_checkout_qr_join(api):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body()).json()
    join_by_form(api.client, quote["join"]["url"])
    sale = api.post("/api/v1/sales", json=sale_body(checkout_id=quote["checkout_id"])).json()
    assert sale["member"] is not None and sale["receipt"]["join"] is None
    rate = api.get("/api/v1/reports/join-rate", params={"by": "source"}, role="manager").json()
    assert rate["rows"] == [{"key": "checkout_qr", "transactions": 1, "nonmember_transactions": 1, "joins": 1,
                             "join_rate_bps": 10000}]


def test_a_receipt_join_within_seven_days_attributes_the_sale_and_its_points_once(api, store, clock):
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2))).json()
    receipt_url = sale["receipt"]["join"]["url"]
    assert decode_qr(api.client.get(path_of(sale["receipt"]["join"]["qr_png_url"])).content) == receipt_url
    clock.advance(days=6)
    page = api.client.get(path_of(receipt_url)).text
    assert '<h1 id="promise">扫码入会 本单56积分立即到账</h1>' in page  # the points this receipt really brings
    assert join_by_form(api.client, receipt_url).status_code == 303
    member = api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()
    assert member["points_balance"] == 56 and member["join_source"] == "receipt"
    again = api.client.get(path_of(receipt_url))
    assert again.status_code == 410 and 'data-reason="used"' in again.text
    assert api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()["points_balance"] == 56
    rate = api.get("/api/v1/reports/join-rate", params={"by": "source", "from": "2026-11-24"}, role="manager").json()
    assert rate["total"]["joins"] == 1 and rate["rows"][0]["key"] == "receipt"
    events = [r[0] for r in store.reader.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert events[-3:] == ["member.joined", "points.entry", "sale.attributed"]


def test_a_receipt_join_after_seven_days_is_refused(api, clock):
    sale = api.post("/api/v1/sales", json=sale_body()).json()
    clock.advance(days=7, seconds=1)
    page = api.client.get(path_of(sale["receipt"]["join"]["url"]))
    assert page.status_code == 410 and 'data-reason="expired"' in page.text


def test_a_join_without_the_csrf_token_of_the_page_is_refused(api, store):
    url = standee(api)["url"]
    api.client.get(path_of(url))
    answer = api.client.post(path_of(url), data={"csrf": "forged", "phone": "13800138000", "consent": "yes"},
                             follow_redirects=False)
    assert answer.status_code == 403 and 'data-reason="csrf"' in answer.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_a_join_without_membership_consent_shows_the_form_again_naming_the_consent(api, store):
    url = standee(api)["url"]
    page = api.client.get(path_of(url))
    answer = api.client.post(path_of(url), data={"csrf": csrf_of(page.text), "phone": "13800138000"})
    assert answer.status_code == 422 and "同意会员条款" in answer.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_joining_with_an_existing_members_phone_gives_no_session(api):
    url = standee(api)["url"]
    join_by_form(api.client, url)
    api.client.cookies.clear()
    again = join_by_form(api.client, url)
    assert again.status_code == 200 and 'data-reason="already-member"' in again.text
    assert "se_member" not in again.headers.get("set-cookie", "")


def test_a_referral_link_records_the_referrer_on_the_new_member(api, store):
    join_by_form(api.client, standee(api)["url"])
    page = api.client.get("/m")
    referral = page.text.split('id="referral" value="')[1].split('"')[0]
    api.client.cookies.clear()
    assert join_by_form(api.client, referral, phone="13900139000").status_code == 303
    rows = dict(store.reader.conn.execute("SELECT join_source, referrer_id FROM members").fetchall())
    first = store.reader.conn.execute("SELECT member_id FROM members WHERE join_source = 'standee'").fetchone()[0]
    assert rows["referral"] == first


def test_the_english_join_page_is_served_with_lang_en(api):
    page = api.client.get(path_of(standee(api)["url"]) + "?lang=en")
    assert 'lang="en"' in page.text and "Join now" in page.text



def test_a_receipt_join_with_payment_link_consent_links_the_sales_payer_to_the_new_member(api, store):
    pay = {"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_receipt"}
    sale = api.post("/api/v1/sales", json=sale_body(payment=pay)).json()
    assert join_by_form(api.client, sale["receipt"]["join"]["url"], payment_link="yes").status_code == 303
    found = api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_receipt"})
    assert found.status_code == 200 and found.json()["phone_masked"] == "138****8000"
    linked = store.reader.conn.execute("SELECT count(*) FROM outbox WHERE type = 'payment_identity.linked'")
    assert linked.fetchone()[0] == 1


def test_a_receipt_join_without_payment_link_consent_links_no_payer(api):
    pay = {"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_private"}
    sale = api.post("/api/v1/sales", json=sale_body(payment=pay)).json()
    join_by_form(api.client, sale["receipt"]["join"]["url"])
    assert api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_private"}).status_code == 404


def test_the_openapi_document_describes_standees_and_checkouts_but_not_the_html_pages(api):
    paths = api.get("/schema/openapi.json", role=None).json()["paths"]
    assert {"/api/v1/standees", "/api/v1/standees/{standee_id}/poster.png", "/api/v1/checkouts/{checkout_id}"} <= set(paths)
    assert not any(p.startswith(("/j/", "/m", "/till", "/manager", "/display")) for p in paths)


def test_a_member_quote_carries_no_join_offer_and_a_member_sale_no_receipt_join(api):
    member_id = api.post("/api/v1/members", json={"phone": "13800138000", "lane_id": "L1", "cashier_id": "C1",
                                                  "consent": {"policy_version": "2026-01", "granted": True}}).json()[
        "member_id"]
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(member={"member_id": member_id})).json()
    sale = api.post("/api/v1/sales", json=sale_body(member_id=member_id)).json()
    assert quote["join"] is None and sale["receipt"]["join"] is None
