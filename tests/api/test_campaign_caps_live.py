"""Caps under concurrent lanes, through a real uvicorn server: 16 sales at once against 10 offers."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from builders import enrol_body, quote_body, sale_body

TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LANES = 16


def sell_at_once(server, keys, bodies: list[dict]) -> list[httpx.Response]:
    """Post every body at the same time from its own connection, like lanes do."""
    headers = {"Authorization": f"Bearer {keys['lane']}"}

    def post(body: dict) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            return client.post("/api/v1/sales", json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_sixteen_lanes_sell_exactly_the_flash_surplus_of_ten_and_stock_adds_up(live, store, clock):
    server, keys = live
    clock.set(TUESDAY_5PM_SHANGHAI)
    manager = {"Authorization": f"Bearer {keys['manager']}"}
    httpx.put(f"{server.url}/api/v1/inventory/CROISSANT", json={"on_hand": 20}, headers=manager, timeout=10)
    answers = sell_at_once(server, keys, [sale_body(("CROISSANT", 1), sale_id=f"flash-{n}") for n in range(LANES)])

    assert [r.status_code for r in answers] == [201] * LANES
    totals = sorted(r.json()["total_fen"] for r in answers)
    assert totals == [750] * 10 + [1500] * 6
    conn = store.reader.conn
    assert conn.execute("SELECT on_hand FROM inventory WHERE sku = 'CROISSANT'").fetchone()[0] == 4
    units = tuple(conn.execute("SELECT sum(units), count(*) FROM campaign_uses WHERE campaign_id = 'flash-pastry'").fetchone())
    assert units == (10, 10)
    flash_sales = {r.json()["sale_id"] for r in answers if r.json()["total_fen"] == 750}
    recorded = {row[0] for row in conn.execute("SELECT sale_id FROM campaign_uses WHERE campaign_id = 'flash-pastry'")}
    assert recorded == flash_sales


def test_sixteen_lanes_paid_with_a_code_capped_at_ten_use_it_ten_times_and_all_are_recorded(live, store, clock):
    server, keys = live
    manager = {"Authorization": f"Bearer {keys['manager']}"}
    capped = {"campaign_id": "ten-only", "kind": "manual", "name_zh": "限量10张", "name_en": "Ten only",
              "benefit": {"type": "amount_off", "fen": 300}, "issuance": {"type": "code", "code": "TEN"},
              "limits": {"total": 10}}
    assert httpx.post(f"{server.url}/api/v1/campaigns", json=capped, headers=manager, timeout=10).status_code == 201
    bodies = [sale_body(("LATTE", 1), sale_id=f"code-{n}", coupon_codes=["TEN"]) for n in range(LANES)]
    answers = sell_at_once(server, keys, bodies)

    assert [r.status_code for r in answers] == [201] * LANES  # paid: never refused for a cap
    assert sorted(r.json()["total_fen"] for r in answers) == [2500] * 10 + [2800] * 6
    conn = store.reader.conn
    assert conn.execute("SELECT count(*) FROM campaign_uses WHERE campaign_id = 'ten-only'").fetchone()[0] == 10
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == LANES
    quote = httpx.post(f"{server.url}/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), coupon_codes=["TEN"]),
                       headers={"Authorization": f"Bearer {keys['lane']}"}, timeout=10)
    assert quote.status_code == 409 and quote.json()["type"].endswith("cap-reached")  # before payment: refused
    assert quote.json()["errors"][0]["field"] == "coupon_codes[0]"


def test_one_coupon_presented_at_sixteen_lanes_at_once_is_redeemed_exactly_once(live, store):
    server, keys = live
    lane = {"Authorization": f"Bearer {keys['lane']}"}
    manager = {"Authorization": f"Bearer {keys['manager']}"}
    mid = httpx.post(f"{server.url}/api/v1/members", headers=lane, timeout=10,
                     json=enrol_body()).json()["member_id"]
    code = httpx.post(f"{server.url}/api/v1/coupons", headers=manager, timeout=10,
                      json={"campaign_id": "welcome-5", "member_id": mid}).json()["code"]
    bodies = [sale_body(("LATTE", 1), sale_id=f"coupon-{n}", member_id=mid, coupon_codes=[code])
              for n in range(LANES)]
    answers = sell_at_once(server, keys, bodies)

    assert [r.status_code for r in answers] == [201] * LANES
    assert sorted(r.json()["total_fen"] for r in answers) == [2300] + [2800] * (LANES - 1)
    conn = store.reader.conn
    assert tuple(conn.execute("SELECT status, redeemed_sale_id IS NOT NULL FROM coupons WHERE code = ?",
                              (code,)).fetchone()) == ("redeemed", 1)
    assert conn.execute("SELECT count(*) FROM campaign_uses WHERE code = ?", (code,)).fetchone()[0] == 1
