# ruff: noqa: F811 - the browser fixtures are imported by name (a second conftest would shadow the root one)
"""Scan-to-join in a real browser on a phone-sized screen: QR decoded, URL followed, page used."""

from browser_fixtures import browser, desk, phone, site  # noqa: F401 - fixtures
from join_helpers import decode_qr, path_of
from playwright.sync_api import expect


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
    expect(page.locator("h1")).to_have_text("扫码入会")  # this standee has no welcome campaign: no coupon promised
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
