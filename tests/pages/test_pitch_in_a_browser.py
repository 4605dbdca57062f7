# ruff: noqa: F811 - the browser fixtures are imported by name (a second conftest would shadow the root one)
"""The whole pitch in a real browser: the display shows the saving, a phone joins through its QR, and
the display and the re-quote show the pitched total; then the sale clears the display.

Screenshots (display and join page, at phone and till sizes) go to $STORE_EDGE_SHOTS when it is set,
else to the test's tmp_path.
"""

import os
from pathlib import Path

from browser_fixtures import FRIDAY_10AM_SHANGHAI, PHONE, browser, desk, phone, site  # noqa: F401 - fixtures
from join_helpers import decode_qr
from playwright.sync_api import expect

from edge.domain.offer_texts import yuan

from builders import quote_body, sale_body

TILL = {"viewport": {"width": 1280, "height": 800}}


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("STORE_EDGE_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def signed_in_display(context, base: str, lane: str, key: str):  # noqa: ANN001, ANN201
    page = context.new_page()
    page.goto(f"{base}/display/{lane}")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    return page


def test_the_display_pitches_the_saving_a_phone_joins_and_the_requote_keeps_the_pitched_total(
        site, browser, phone, desk, clock, tmp_path):
    base, api, store = site
    out = shots(tmp_path)
    clock.set(FRIDAY_10AM_SHANGHAI)  # member day: 5% on top, and the demo's ¥5 welcome coupon for checkout joins
    cart = (("LATTE", 1), ("CROISSANT", 1))
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(*cart, lane_id="L2")).json()
    pitch = quote["join"]
    assert (quote["total_fen"], pitch["saving_fen"], pitch["total_if_joined_fen"]) == (4300, 715, 3585)

    display = signed_in_display(desk, base, "L2", api.keys["lane"])
    expect(display.locator("#display-pitch")).to_have_text(f"入会本单立省 {yuan(715)}")
    expect(display.locator("#display-pitch-en")).to_have_text(f"Join now: save {yuan(715)} on this order")
    expect(display.locator("#display-total")).to_have_text(yuan(4300))
    expect(display.locator("#display-lines tr.line")).to_have_count(2)
    qr = display.locator("#display-qr")
    expect(qr).to_have_js_property("complete", True)
    display.screenshot(path=out / "display-till-pitch.png")
    narrow = browser.new_context(**PHONE)
    try:
        small = signed_in_display(narrow, base, "L2", api.keys["lane"])
        expect(small.locator("#display-qr")).to_have_js_property("complete", True)
        small.screenshot(path=out / "display-phone-pitch.png", full_page=True)
    finally:
        narrow.close()

    url = decode_qr(qr.screenshot())
    assert url == pitch["url"]
    wide = browser.new_context(**TILL)
    try:
        seen = wide.new_page()
        seen.goto(url)
        expect(seen.locator("#promise")).to_have_text(pitch["pitch_zh"])
        seen.screenshot(path=out / "join-till.png", full_page=True)
    finally:
        wide.close()
    customer = phone.new_page()
    customer.goto(url)
    expect(customer.locator("#promise")).to_have_text(f"入会本单立省 {yuan(715)}")
    expect(customer.locator("#lead")).to_contain_text(yuan(3585))
    customer.screenshot(path=out / "join-phone.png", full_page=True)
    customer.fill("input[name=phone]", "13800138000")
    customer.check("input[name=consent]")
    customer.click("button[type=submit]")
    expect(customer.locator("#phone")).to_have_text("138****8000")
    expect(customer.locator("#coupons")).to_contain_text("新人立减5元")
    customer.screenshot(path=out / "member-phone.png", full_page=True)

    # the display polled, reloaded, greets the member and shows the pitched total before any re-quote
    expect(display.locator("#display-member")).to_contain_text("138****8000")
    expect(display.locator("#display-member")).to_contain_text("普通会员")
    expect(display.locator("#display-total")).to_have_text(yuan(3585))
    expect(display.locator("#display-qr")).to_have_count(0)
    display.screenshot(path=out / "display-till-joined.png")

    requote = api.post("/api/v1/checkouts/quote", json=quote_body(*cart, lane_id="L2",
                                                                   checkout_id=quote["checkout_id"])).json()
    assert requote["total_fen"] == pitch["total_if_joined_fen"] and requote["join"] is None
    expect(display.locator("#display-lines")).to_contain_text("新人立减5元")  # each discount, explained
    expect(display.locator("#display-pending")).to_have_count(0)
    expect(display.locator("#display-total")).to_have_text(yuan(3585))
    display.screenshot(path=out / "display-till-requoted.png")

    sale = api.post("/api/v1/sales", json=sale_body(*cart, lane_id="L2", checkout_id=quote["checkout_id"])).json()
    assert sale["total_fen"] == 3585
    expect(display.locator("#display-idle")).to_be_visible()  # the sale completed: the display clears
    rate = api.get("/api/v1/reports/join-rate", params={"by": "source"}, role="manager").json()
    assert rate["rows"][0]["key"] == "checkout_qr" and rate["total"]["joins"] == 1


def test_a_members_checkout_shows_their_masked_name_and_tier_and_never_a_join_qr(site, desk, tmp_path):
    base, api, store = site
    member_id = api.post("/api/v1/members", json={
        "phone": "13900139000", "name": "王小明", "consent": {"policy_version": "2026-01", "granted": True},
        "source": "cashier", "lane_id": "L3", "cashier_id": "C1"}).json()["member_id"]
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("AMERICANO", 2), lane_id="L3",
                                                                 member={"member_id": member_id})).json()
    display = signed_in_display(desk, base, "L3", api.keys["lane"])
    expect(display.locator("#display-member")).to_contain_text("王**")
    expect(display.locator("#display-member")).not_to_contain_text("王小明")
    expect(display.locator("#display-total")).to_have_text(yuan(quote["total_fen"]))
    expect(display.locator("#display-qr")).to_have_count(0)
    display.screenshot(path=shots(tmp_path) / "display-till-member.png")
    lane = {"Authorization": f"Bearer {api.keys['lane']}"}
    api.client.delete(f"/api/v1/checkouts/{quote['checkout_id']}", headers=lane)
    expect(display.locator("#display-idle")).to_be_visible()  # cancelled: the display clears
