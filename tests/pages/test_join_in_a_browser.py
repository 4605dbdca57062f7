# ruff: noqa: F811 - the browser fixtures are imported by name (a second conftest would shadow the root one)
"""Scan-to-join in a real browser on a phone-sized screen: QR decoded, URL followed, page used."""

from browser_fixtures import FRIDAY_10AM_SHANGHAI, browser, desk, phone, site  # noqa: F401 - fixtures
from join_helpers import decode_qr, path_of
from playwright.sync_api import expect

from builders import quote_body


def fill_and_join(page, phone_number: str = "13800138000") -> None:
    page.fill("input[name=phone]", phone_number)
    page.check("input[name=consent]")
    page.click("button[type=submit]")


def test_a_customer_scans_a_standee_joins_and_sees_a_member_code_that_the_till_accepts(site, phone, tmp_path):
    base, api, store = site
    standee = api.post("/api/v1/standees", json={"label": "门口立牌"}, role="manager").json()
    url = decode_qr(api.get(path_of(standee["qr_png_url"]), role=None).content)
    page = phone.new_page()
    page.goto(url)
    expect(page.locator("h1")).to_have_text("扫码入会 领新人券")
    page.screenshot(path=tmp_path / "join.png", full_page=True)
    fill_and_join(page)
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("#phone")).to_have_text("138****8000")
    code_img = page.locator("#member-code")
    expect(code_img).to_have_js_property("complete", True)
    page.screenshot(path=tmp_path / "member.png", full_page=True)
    code = decode_qr(code_img.screenshot(path=tmp_path / "member-code.png"))
    found = api.get("/api/v1/members/lookup", params={"code": code})
    assert found.status_code == 200 and found.json()["phone_masked"] == "138****8000"


def test_a_checkout_qr_join_shows_on_the_display_and_the_requote_has_member_prices(site, phone, desk, clock, tmp_path):
    base, api, store = site
    clock.set(FRIDAY_10AM_SHANGHAI)
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), lane_id="L2")).json()
    assert quote["total_fen"] == 2800
    display = desk.new_page()
    display.goto(f"{base}/display/L2")
    display.fill("input[name=key]", api.keys["lane"])
    display.click("button[type=submit]")
    qr = display.locator("#display-qr")
    expect(qr).to_have_js_property("complete", True)
    display.screenshot(path=tmp_path / "display-before.png")
    url = decode_qr(qr.screenshot())
    assert url == quote["join"]["url"]

    customer = phone.new_page()
    customer.goto(url)
    expect(customer.locator("p").first).to_contain_text("本单立享会员价")
    fill_and_join(customer)
    expect(customer.locator("#phone")).to_have_text("138****8000")

    expect(display.locator("#display-member")).to_contain_text("138****8000")  # the display polled and reloaded
    display.screenshot(path=tmp_path / "display-after.png")
    checkout = api.get(f"/api/v1/checkouts/{quote['checkout_id']}").json()
    assert checkout["member"]["phone_masked"] == "138****8000"
    requote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), lane_id="L2",
                                                                   checkout_id=quote["checkout_id"])).json()
    assert requote["member"]["member_id"] == checkout["member"]["member_id"]
    assert requote["total_fen"] == 2660  # Friday member day: 5% for members


def test_a_join_form_posted_with_a_wrong_csrf_token_is_refused_and_nobody_joins(site, phone, tmp_path):
    base, api, store = site
    standee = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()
    page = phone.new_page()
    page.goto(standee["url"])
    page.eval_on_selector("input[name=csrf]", "el => el.value = 'forged'")
    fill_and_join(page)
    expect(page.locator("#message")).to_have_attribute("data-reason", "csrf")
    expect(page.locator("h1")).to_have_text("页面已过期")
    page.screenshot(path=tmp_path / "csrf.png")
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_joining_again_and_again_with_one_phone_hits_the_rate_limit(site, phone, tmp_path):
    base, api, store = site
    standee = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()
    page = phone.new_page()
    reasons = []
    for _ in range(6):
        page.goto(standee["url"])
        fill_and_join(page, "13700137000")
        page.wait_for_load_state()
        message = page.locator("#message")
        reasons.append(message.get_attribute("data-reason") if message.count() else "joined")
    page.screenshot(path=tmp_path / "rate-limited.png")
    assert reasons == ["joined"] + ["already-member"] * 4 + ["rate-limited"]
    expect(page.locator("h1")).to_have_text("请求太频繁")


def test_the_join_page_works_without_javascript_in_english(site, browser, tmp_path):
    base, api, store = site
    standee = api.post("/api/v1/standees", json={"label": "door"}, role="manager").json()
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(standee["url"] + "?lang=en")
        expect(page.locator("button[type=submit]")).to_have_text("Join now")
        fill_and_join(page, "13600136000")
        expect(page.locator("h1")).to_have_text("My membership")
        page.screenshot(path=tmp_path / "member-en-nojs.png", full_page=True)
    finally:
        ctx.close()
