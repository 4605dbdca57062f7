"""Lanes racing for the last flash units through a real server: the quote reserves exactly what there is,
an expired lock gives its units back, and a sale on a live lock is never refused."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from builders import quote_body, sale_body

TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LANES = 16


def at_once(server, key: str, path: str, bodies: list[dict]) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {key}"}

    def post(body: dict) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def reserved(store) -> int:
    return store.reader.conn.execute("SELECT coalesce(sum(units), 0) FROM reservations WHERE expires_at > ?",
                                     (store.clock().isoformat().replace("+00:00", "Z"),)).fetchone()[0]


def test_sixteen_lanes_quoting_ten_flash_units_reserve_exactly_ten_and_every_sale_on_its_lock_lands(live, store,
                                                                                                  clock):
    server, keys = live
    clock.set(TUESDAY_5PM_SHANGHAI)
    httpx.put(f"{server.url}/api/v1/inventory/CROISSANT", json={"on_hand": 20}, timeout=10,
              headers={"Authorization": f"Bearer {keys['manager']}"})  # threshold 10: ten flash units
    quotes = at_once(server, keys["lane"], "/api/v1/checkouts/quote",
                     [quote_body(("CROISSANT", 1), lane_id=f"L{n}", checkout_id=f"co-{n}") for n in range(LANES)])
    assert [q.status_code for q in quotes] == [200] * LANES
    totals = sorted(q.json()["total_fen"] for q in quotes)
    assert totals == [750] * 10 + [1500] * 6 and reserved(store) == 10
    losers = [q.json() for q in quotes if q.json()["total_fen"] == 1500]
    assert all(any(n["offer_id"] == "flash-pastry" and "another lane" in n["reason"] for n in q["notes"])
               for q in losers)

    # a shelf recount before payment changes nothing for the customers who were quoted
    httpx.put(f"{server.url}/api/v1/inventory/CROISSANT", json={"on_hand": 4}, timeout=10,
              headers={"Authorization": f"Bearer {keys['manager']}"})
    sales = at_once(server, keys["lane"], "/api/v1/sales",
                    [sale_body(("CROISSANT", 1), sale_id=f"s-{n}", lane_id=f"L{n}", checkout_id=f"co-{n}",
                               payment={"method": "cash", "amount_fen": q.json()["total_fen"]})
                     for n, q in enumerate(quotes)])
    assert [s.status_code for s in sales] == [201] * LANES
    assert [s.json()["total_fen"] for s in sales] == [q.json()["total_fen"] for q in quotes]
    assert all(s.json()["exception"] is None for s in sales) and reserved(store) == 0
    flash = store.reader.conn.execute("SELECT sum(units) FROM campaign_uses WHERE campaign_id = 'flash-pastry' "
                                      "AND status = 'active'").fetchone()[0]
    assert flash == 10


def test_locks_that_expire_give_their_units_back_to_the_next_lanes(live, store, clock):
    server, keys = live
    clock.set(TUESDAY_5PM_SHANGHAI)
    httpx.put(f"{server.url}/api/v1/inventory/CROISSANT", json={"on_hand": 20}, timeout=10,
              headers={"Authorization": f"Bearer {keys['manager']}"})
    first = at_once(server, keys["lane"], "/api/v1/checkouts/quote",
                    [quote_body(("CROISSANT", 2), lane_id=f"L{n}", checkout_id=f"a-{n}") for n in range(8)])
    assert sum(q.json()["total_fen"] == 1500 for q in first) == 5 and reserved(store) == 10
    clock.advance(minutes=10)
    second = at_once(server, keys["lane"], "/api/v1/checkouts/quote",
                     [quote_body(("CROISSANT", 2), lane_id=f"M{n}", checkout_id=f"b-{n}") for n in range(8)])
    assert sum(q.json()["total_fen"] == 1500 for q in second) == 5 and reserved(store) == 10
