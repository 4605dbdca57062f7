"""Standee posters: every size's QR decodes back to the standee URL, which opens the join page."""

import io

import pytest
from join_helpers import decode_qr, path_of
from PIL import Image

from printers.posters import LAYOUTS, FontMissing, find_font


@pytest.fixture
def standee(api) -> dict:
    return api.post("/api/v1/standees", json={"label": "收银台", "location": "counter"}, role="manager").json()


@pytest.mark.parametrize("size", ["a4", "a5", "80mm"])
def test_a_poster_png_of_each_size_carries_a_qr_that_opens_the_standees_join_page(api, standee, size):
    r = api.get(path_of(standee["poster_png_url"]), params={"size": size}, role="manager")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.size == (LAYOUTS[size].width, LAYOUTS[size].height)
    url = decode_qr(r.content)
    assert url == standee["url"]
    page = api.client.get(path_of(url))
    assert page.status_code == 200 and '<h1 id="promise">扫码入会</h1>' in page.text  # no welcome campaign
    assert "新人券" not in page.text


def poster_text_lines(api, standee_id: str) -> str:
    """What the poster says, as the service asks the printer module to draw it."""
    from edge.services import join_offers

    store = api.client.app.state.store
    s = next(x for x in api.get("/api/v1/standees", role="manager").json() if x["standee_id"] == standee_id)
    p = join_offers.standee(store, s["welcome_campaign_id"])
    return " | ".join((p.headline_zh, p.headline_en, p.detail_zh, p.detail_en))


def test_a_standee_without_a_welcome_campaign_promises_no_coupon_on_its_poster_and_page(api, standee):
    text = poster_text_lines(api, standee["standee_id"])
    assert text.startswith("扫码入会 | Scan to join") and "券" not in text and "coupon" not in text


def test_a_standee_with_a_welcome_campaign_names_that_coupon_and_its_conditions(api):
    s = api.post("/api/v1/standees", json={"label": "门口", "welcome_campaign_id": "welcome-5"}, role="manager").json()
    assert poster_text_lines(api, s["standee_id"]) == (
        "扫码入会 领新人立减5元 | Scan to join · get Welcome ¥5 off | "
        "新人券「新人立减5元」减¥5，满¥20可用，领取后14天内有效 | "
        "Welcome coupon \u201cWelcome ¥5 off\u201d: ¥5 off, on orders of ¥20 or more, valid 14 days")
    page = api.client.get(path_of(s["url"]))
    assert '<h1 id="promise">扫码入会 领新人立减5元</h1>' in page.text and "满¥20可用" in page.text


def test_a_poster_pdf_is_one_page_at_a4_paper_size(api, standee):
    r = api.get(path_of(standee["poster_pdf_url"]), role="manager")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    # A4 is 595 x 842 points; Pillow writes the MediaBox from the image size and the resolution
    assert b"/MediaBox [0 0 595.2 841.92]" in r.content or b"/MediaBox [ 0 0 595.2 841.92 ]" in r.content


def test_the_poster_draws_chinese_with_a_real_cjk_font():
    path, _ = find_font(bold=True)
    assert "CJK" in path or "wqy" in path


def test_a_configured_font_path_that_does_not_exist_is_reported(monkeypatch):
    monkeypatch.setenv("STORE_EDGE_CJK_FONT", "/nonexistent/font.ttc")
    with pytest.raises(FontMissing, match="does not exist"):
        find_font()


def test_posters_need_a_manager_key(api, standee):
    assert api.get(path_of(standee["poster_png_url"]), role="lane").status_code == 403
    assert api.get(path_of(standee["poster_png_url"]), role=None).status_code == 401


def test_a_poster_for_an_unknown_standee_is_404_problem_json(api):
    r = api.get("/api/v1/standees/nope/poster.png", role="manager")
    assert r.status_code == 404 and r.json()["errors"] == [{"field": "standee_id", "reason": "no such standee"}]


def test_a_poster_of_an_unknown_size_is_a_422_naming_the_size(api, standee):
    r = api.get(path_of(standee["poster_png_url"]), params={"size": "a3"}, role="manager")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "size"


@pytest.mark.parametrize("size", ["a4", "a5", "80mm"])
def test_the_demo_door_standees_poster_names_its_welcome_coupon_and_its_qr_still_reads(api, size):
    r = api.get("/api/v1/standees/demo-door/poster.png", params={"size": size}, role="manager")
    standee = next(s for s in api.get("/api/v1/standees", role="manager").json() if s["standee_id"] == "demo-door")
    assert standee["welcome_campaign_id"] == "welcome-5" and decode_qr(r.content) == standee["url"]
