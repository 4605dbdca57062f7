# ruff: noqa: F811 - the browser fixtures are imported by name (a second conftest would shadow the root one)
"""The cashier's and the manager's pages in a real browser."""

from browser_fixtures import browser, desk, site  # noqa: F401 - fixtures
from playwright.sync_api import expect


def sign_in(page, base: str, path: str, key: str) -> None:  # noqa: ANN001
    page.goto(base + path)
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")


def test_a_cashier_looks_up_an_unknown_phone_and_enrols_the_customer_with_consent(site, desk, tmp_path):
    base, api, store = site
    page = desk.new_page()
    sign_in(page, base, "/till", api.keys["lane"])
    page.fill("input[name=q]", "139 0013 9000")
    page.click("form[action='/till/lookup'] button")
    expect(page.locator("#enrol")).to_be_visible()
    page.check("#enrol input[name=consent]")
    page.click("#enrol button")
    expect(page.locator("#enrolled")).to_be_visible()
    expect(page.locator("#till-member")).to_contain_text("139****9000")
    page.screenshot(path=tmp_path / "till.png", full_page=True)
    assert api.get("/api/v1/members/lookup", params={"phone": "13900139000"}).status_code == 200


def test_a_manager_creates_a_standee_and_sees_it_with_its_poster_links(site, desk, tmp_path):
    base, api, store = site
    page = desk.new_page()
    sign_in(page, base, "/manager", api.keys["manager"])
    page.fill("input[name=label]", "收银台立牌")
    page.fill("input[name=location]", "counter")
    page.click("form[action='/manager/standees'] button")
    row = page.locator("#standees tr[data-standee]").filter(has_text="收银台立牌")  # beside the demo's door standee
    expect(row).to_contain_text("收银台立牌")
    expect(row.locator(".scans")).to_have_text("0")
    page.screenshot(path=tmp_path / "manager.png", full_page=True)
    href = row.locator("a", has_text="a5 PNG").get_attribute("href")
    poster = page.request.get(base + href)
    assert poster.status == 200 and poster.headers["content-type"] == "image/png"
