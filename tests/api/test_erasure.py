"""Erasure removes the person and keeps the sale, unlinked."""

import msgspec

from edge.services.erasure import erase_member

from builders import enrol_body, sale_body


def test_erasing_a_member_removes_phone_and_links_but_keeps_the_sale_unlinked(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body(
        consent={"policy_version": "2026-01", "granted": True, "payment_link": True})).json()["member_id"]
    sale = sale_body(("LATTE", 1), member_id=member_id, sale_id="s-erase",
                     payment={"method": "wechat_pay", "provider": "wechat", "payer_id": "o-payer-1"})
    assert api.post("/api/v1/sales", json=sale).json()["payment"]["payer_linked"] is True

    assert store.writer.call(lambda c: erase_member(c, "demo-001", member_id, store.clock(), "member")) is True
    assert store.writer.call(lambda c: erase_member(c, "demo-001", member_id, store.clock(), "member")) is False

    assert api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).status_code == 404
    assert api.get("/api/v1/members/lookup", params={"payer": "wechat:o-payer-1"}).status_code == 404
    replay = api.post("/api/v1/sales", json=sale)
    assert replay.status_code == 201 and replay.json()["member"] is None
    assert "8000" not in replay.text
    conn = store.reader.conn
    assert conn.execute("SELECT member_id FROM sales WHERE sale_id = 's-erase'").fetchone()[0] is None
    erased = conn.execute("SELECT payload FROM outbox WHERE type = 'member.erased'").fetchall()
    assert len(erased) == 1 and msgspec.json.decode(erased[0][0])["member_id"] == member_id
