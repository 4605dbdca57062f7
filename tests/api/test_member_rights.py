"""A member's rights through the staff: a single-use link to their own page, and erasure recorded in person."""

import io
from urllib.parse import urlparse

import zxingcpp
from PIL import Image

from builders import enrol_body, sale_body


def _path(url: str) -> str:
    return urlparse(url).path


def _enrol(api, phone: str = "13800138000") -> str:  # noqa: ANN001
    return api.post("/api/v1/members", json=enrol_body(phone)).json()["member_id"]


def test_the_till_shows_a_member_a_qr_that_opens_their_own_page_once(api, clock):
    member_id = _enrol(api)
    link = api.post(f"/api/v1/members/{member_id}/page-link")
    assert link.status_code == 201, link.text
    png = api.client.get(_path(link.json()["qr_png_url"]))
    assert png.status_code == 200
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [d.text for d in decoded] == [link.json()["url"]]
    api.client.cookies.clear()
    opened = api.client.get(_path(link.json()["url"]), follow_redirects=True)
    assert opened.status_code == 200 and "138****8000" in opened.text
    assert api.client.get("/m/data.json").json()["member"]["member_id"] == member_id
    api.client.cookies.clear()
    again = api.client.get(_path(link.json()["url"]))
    assert again.status_code == 410 and "138****8000" not in again.text  # a photo of the QR opens nothing
    late = api.post(f"/api/v1/members/{member_id}/page-link").json()
    clock.advance(minutes=6)
    assert api.client.get(_path(late["url"])).status_code == 410
    assert api.client.get(_path(late["url"])[:-3] + "AAA").status_code == 400


def test_a_page_link_is_not_a_join_token_and_needs_a_staff_key(api):
    member_id = _enrol(api)
    link = api.post(f"/api/v1/members/{member_id}/page-link").json()
    token = _path(link["url"]).rsplit("/", 1)[1]
    assert api.client.get(f"/j/{token}").status_code == 400
    assert api.post(f"/api/v1/members/{member_id}/page-link", role=None).status_code == 401
    assert api.post("/api/v1/members/nobody/page-link").status_code == 404


def test_a_members_receipt_carries_a_link_to_their_page_and_an_erased_members_link_opens_nothing(api):
    member_id = _enrol(api)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=member_id, sale_id="r-1")).json()
    link = sale["receipt"]["member_page"]
    assert link is not None and sale["receipt"]["join"] is None
    erased = api.post(f"/api/v1/members/{member_id}/erasure", role="manager",
                      json={"reason": "asked at the counter", "recorded_by": "Wang Li"})
    assert erased.status_code == 200
    api.client.cookies.clear()
    assert api.client.get(_path(link["url"])).status_code == 410
    replay = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=member_id, sale_id="r-1"))
    assert replay.json()["receipt"]["member_page"] is None and replay.json()["member"] is None


def test_a_manager_records_an_erasure_request_made_in_person_and_the_answer_says_what_happens_next(api, store):
    member_id = _enrol(api)
    other = _enrol(api, "13900139000")
    body = {"reason": "asked at the counter", "recorded_by": "Wang Li", "requested_via": "in_person"}
    assert api.post(f"/api/v1/members/{member_id}/erasure", role="lane", json=body).status_code == 403
    answer = api.post(f"/api/v1/members/{member_id}/erasure", role="manager", json=body)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["erased_ids"] == [member_id] and out["already_erased"] is False
    assert out["recorded_by"] == "Wang Li" and out["recorded_by_key"] and out["recorded_at"]
    assert "总部" in out["next_steps"]["zh"] and "new membership" in out["next_steps"]["en"]
    row = store.reader.conn.execute("SELECT member_id, reason, requested_via, recorded_by, recorded_by_key "
                                    "FROM erasure_requests").fetchone()
    assert tuple(row) == (member_id, "asked at the counter", "in_person", "Wang Li", out["recorded_by_key"])
    assert api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).status_code == 404
    assert api.get("/api/v1/members/lookup", params={"member_id": other}).status_code == 200
    again = api.post(f"/api/v1/members/{member_id}/erasure", role="manager", json=body).json()
    assert again["already_erased"] is True and again["erased_ids"] == []
    bad = api.post(f"/api/v1/members/{member_id}/erasure", role="manager", json={"reason": "", "recorded_by": "x"})
    assert bad.status_code in (400, 422) and bad.json()["errors"][0]["field"].endswith("reason")
    assert api.post("/api/v1/members/nobody/erasure", role="manager", json=body).status_code == 404


def test_an_erasure_reaches_the_stores_backups_and_leaves_no_phone_in_the_database_or_its_wal(api, store):
    import sqlite3

    member_id = _enrol(api, "13912345678")
    backups = store.data_dir / "backups"
    backups.mkdir()
    src, dst = sqlite3.connect(store.path), sqlite3.connect(backups / "store-edge-demo-001-20260101T000000Z.db")
    src.backup(dst)
    src.close()
    dst.close()
    assert api.post(f"/api/v1/members/{member_id}/erasure", role="manager",
                    json={"reason": "r", "recorded_by": "m"}).status_code == 200
    for path in (store.path, store.path.with_name("store.db-wal"), *backups.glob("*.db")):
        if path.exists():
            assert b"13912345678" not in path.read_bytes(), path.name
    assert (store.data_dir / "tombstones.log").read_text().split()[0] == member_id
