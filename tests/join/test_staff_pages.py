"""The till, display and manager pages over HTTP: signed-in by key, forms with CSRF."""

import re

from join_helpers import csrf_of, join_by_form

from edge.domain.member_code import make_code
from edge.services import keys as key_service
from edge.services.setup import DEMO_STANDEE
from edge.store.keys import revoke

from builders import enrol_body, quote_body, sale_body


def sign_in(api, role: str, next_: str) -> None:
    form = api.client.get("/staff/login", params={"next": next_})
    answer = api.client.post("/staff/login", data={"csrf": csrf_of(form.text), "next": next_, "key": api.keys[role]},
                             follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == next_


def till_post(api, path: str, **fields):  # noqa: ANN201
    """Sign in as a lane, open the till, and post one of its forms with the page's CSRF token."""
    sign_in(api, "lane", "/till")
    token = csrf_of(api.client.get("/till").text)
    return api.client.post(path, data={"csrf": token, "lane_id": "L1", "cashier_id": "C1", **fields})


def test_the_till_page_asks_for_a_key_first_and_refuses_a_manager_key_for_the_till(api):
    assert api.client.get("/till", follow_redirects=False).headers["location"] == "/staff/login?next=/till"
    form = api.client.get("/staff/login", params={"next": "/till"})
    wrong = api.client.post("/staff/login", data={"csrf": csrf_of(form.text), "next": "/till",
                                                  "key": api.keys["manager"]})
    assert wrong.status_code == 401


def test_the_till_finds_a_member_by_a_scanned_member_code(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    found = till_post(api, "/till/lookup", q=make_code(store.chain_key, member_id, store.clock()))
    assert found.status_code == 200 and "138****8000" in found.text and member_id in found.text


def test_the_till_offers_enrolment_for_an_unknown_phone_and_enrols_with_consent(api, store):
    missing = till_post(api, "/till/lookup", q="13900139000", lane_id="L2", cashier_id="C7")
    assert missing.status_code == 404 and 'id="enrol"' in missing.text
    enrolled = till_post(api, "/till/enrol", phone="13900139000", consent="yes", lane_id="L2", cashier_id="C7")
    assert enrolled.status_code == 201 and 'id="enrolled"' in enrolled.text
    row = tuple(store.reader.conn.execute("SELECT join_source, join_lane_id, join_cashier_id FROM members").fetchone())
    assert row == ("cashier", "L2", "C7")


def test_the_till_does_not_enrol_without_consent(api, store):
    r = till_post(api, "/till/enrol", phone="13900139000")
    assert r.status_code == 422 and "consent.granted" in r.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_the_display_shows_the_checkout_qr_then_the_member_once_they_joined(api):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(lane_id="L3")).json()
    sign_in(api, "lane", "/display/L3")
    before = api.client.get("/display/L3")
    state = api.client.get("/display/L3/state").text
    assert 'id="display-qr"' in before.text and f'data-state="{state}"' in before.text
    join_by_form(api.client, quote["join"]["url"])
    after = api.client.get("/display/L3")
    assert "138****8000" in after.text and 'id="display-qr"' not in after.text
    assert api.client.get("/display/L3/state").text != state


def test_the_manager_page_shows_todays_join_rate_and_the_standees_with_counts(api):
    api.post("/api/v1/standees", json={"label": "门口", "location": "door"}, role="manager")
    url = api.get("/api/v1/standees", role="manager").json()[0]["url"]
    join_by_form(api.client, url)
    api.post("/api/v1/sales", json=sale_body(lane_id="L1"))
    api.post("/api/v1/sales", json=sale_body(member_id=api.get("/api/v1/members/lookup",
                                                               params={"phone": "13800138000"}).json()["member_id"]))
    sign_in(api, "manager", "/manager")
    page = api.client.get("/manager")
    assert page.status_code == 200
    assert re.search(r'class="scans">1<.*class="joins">1<', page.text, re.S)
    assert 'id="total-rate">0.0%' in page.text  # one non-member sale, no join during it
    assert "poster.png?size=a4" in page.text
    poster = api.client.get(re.search(r'href="(/manager/standees/[^"]+/poster.png\?size=a5)"', page.text).group(1))
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/png"


def test_the_manager_creates_a_standee_from_the_page(api):
    sign_in(api, "manager", "/manager")
    token = csrf_of(api.client.get("/manager").text)
    api.client.post("/manager/standees", data={"csrf": token, "label": "收银台", "location": "till"})
    labels = [s["label"] for s in api.get("/api/v1/standees", role="manager").json() if s["standee_id"] != DEMO_STANDEE]
    assert labels == ["收银台"]


def test_the_display_keeps_one_qr_for_the_whole_checkout_however_long_it_takes(api, clock):
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(lane_id="L4")).json()
    sign_in(api, "lane", "/display/L4")
    clock.advance(minutes=20)
    page = api.client.get("/display/L4")
    shown = "/j/" + page.text.split('src="/j/', 1)[1].split('"', 1)[0]
    assert shown == "/j/" + quote["join"]["qr_png_url"].split("/j/", 1)[1]
    assert api.client.get(shown.removesuffix("/qr.png")).status_code == 200


def test_revoking_the_key_that_signed_in_ends_the_staff_session(api, store, monkeypatch):
    monkeypatch.setattr(key_service, "CACHE_SECONDS", 0.0)  # a revoke by the CLI lands within the cache time
    key_id, token = store.writer.call(lambda c: key_service.create_key(c, "manager", store.clock(), "shift lead"))
    form = api.client.get("/staff/login", params={"next": "/manager"})
    signed = api.client.post("/staff/login", data={"csrf": csrf_of(form.text), "next": "/manager", "key": token},
                             follow_redirects=False)
    assert signed.status_code == 303
    assert api.client.get("/manager", follow_redirects=False).status_code == 200
    store.writer.call(lambda c: revoke(c, key_id, store.clock()))
    after = api.client.get("/manager", follow_redirects=False)
    assert after.status_code in (302, 303) and after.headers["location"] == "/staff/login?next=/manager"


def test_a_staff_cookie_edited_to_another_key_or_role_is_refused(api):
    sign_in(api, "lane", "/till")
    cookie = api.client.cookies["se_staff"]
    role, key_id, until, mac = cookie.split(".")
    api.client.cookies.set("se_staff", f"manager.{key_id}.{until}.{mac}")
    assert api.client.get("/manager", follow_redirects=False).headers["location"] == "/staff/login?next=/manager"
    api.client.cookies.set("se_staff", f"{role}.k_other.{until}.{mac}")
    assert api.client.get("/till", follow_redirects=False).headers["location"] == "/staff/login?next=/till"
