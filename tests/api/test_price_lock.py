"""The quote is a price lock: it reserves what is scarce, a pure quote writes nothing, the sale commits it."""

from datetime import UTC, datetime, timedelta

import msgspec

from edge.domain.clock import parse_iso
from edge.services import upkeep

from builders import enrol_body, quote_body, sale_body

TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the pastry flash offer is open from 16:00


def reserved(store, checkout_id: str | None = None) -> int:
    sql = "SELECT coalesce(sum(units), 0) FROM reservations" + (" WHERE checkout_id = ?" if checkout_id else "")
    return store.reader.conn.execute(sql, (checkout_id,) if checkout_id else ()).fetchone()[0]


def on_hand(store, sku: str) -> int:
    return store.reader.conn.execute("SELECT on_hand FROM inventory WHERE sku = ?", (sku,)).fetchone()[0]


def flash_store(api, clock, croissants: int = 11) -> None:
    """Flash open, `croissants` on hand against a threshold of 10: one flash unit per spare croissant."""
    clock.set(TUESDAY_5PM_SHANGHAI)
    assert api.put("/api/v1/inventory/CROISSANT", json={"on_hand": croissants}).status_code == 200


def test_a_quote_says_until_when_its_price_holds_by_the_configured_minutes(api, store, clock):
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1))).json()
    assert parse_iso(q["locked_until"]) - parse_iso(q["quoted_at"]) == timedelta(minutes=10)
    assert store.config.price_lock_minutes == 10


def test_a_quote_touching_nothing_scarce_writes_nothing(api, store):
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    before = (store.writer.commands, store.reader.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
    for body in (quote_body(("LATTE", 2), ("CHEESECAKE", 1)), quote_body(("LATTE", 1), member={"member_id": member_id}),
                 quote_body(("CROISSANT", 3), checkout_id="co-pure")):  # flash closed at 10:00: nothing scarce
        assert api.post("/api/v1/checkouts/quote", json=body).status_code == 200
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-pure"))
    assert again.status_code == 200
    assert (store.writer.commands, store.reader.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]) == before
    assert reserved(store) == 0


def test_a_flash_quote_reserves_its_units_and_the_next_lane_is_told_the_last_one_is_gone(api, store, clock):
    flash_store(api, clock, croissants=11)  # one flash unit
    first = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-a")).json()
    assert first["total_fen"] == 750 and reserved(store, "co-a") == 1
    held = [n for n in first["notes"] if n["offer_id"] == "flash-pastry" and "held for this checkout" in n["reason"]]
    assert held and first["locked_until"] in held[0]["reason"] and held[0]["applied"]
    second = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-b",
                                                                 lane_id="L2")).json()
    assert second["total_fen"] == 1500 and reserved(store, "co-b") == 0
    told = [n for n in second["notes"] if n["offer_id"] == "flash-pastry"]
    assert told and not told[0]["applied"] and "another lane" in told[0]["reason"]


def test_a_re_quote_replaces_the_checkouts_reservations_and_a_cancel_gives_them_back(api, store, clock):
    flash_store(api, clock, croissants=14)  # four flash units
    api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 3), checkout_id="co-a"))
    assert reserved(store, "co-a") == 3
    requote = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 2), checkout_id="co-a")).json()
    assert requote["total_fen"] == 1500 and reserved(store, "co-a") == 2
    other = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 3), checkout_id="co-b")).json()
    assert other["total_fen"] == 2 * 750 + 1500  # two left after co-a's two
    cancelled = api.client.delete("/api/v1/checkouts/co-a", headers={"Authorization": f"Bearer {api.keys['lane']}"})
    assert cancelled.status_code == 200 and cancelled.json() == {"checkout_id": "co-a", "status": "cancelled",
                                                                 "released": 1}
    assert reserved(store, "co-a") == 0
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 3), checkout_id="co-b")).json()
    assert again["total_fen"] == 3 * 750


def test_an_expired_lock_gives_its_units_back_and_the_upkeep_sweeps_it(api, store, clock):
    import asyncio

    flash_store(api, clock, croissants=11)
    api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-a"))
    assert api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-b")
                    ).json()["total_fen"] == 1500
    clock.advance(minutes=10)  # the lock of co-a runs out now
    assert api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-b")
                    ).json()["total_fen"] == 750
    clock.advance(minutes=10, seconds=1)
    done = asyncio.run(upkeep.sweep(store))
    assert done["price_locks_released"] == 2 and reserved(store) == 0


def test_a_sale_on_a_live_lock_records_the_quoted_price_though_the_offer_ended_and_the_shelf_emptied(api, store, clock):
    clock.set(datetime(2026, 11, 24, 19, 55, tzinfo=UTC))  # 03:55 in Shanghai: the flash offer ends at 04:00
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 12})
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 2), checkout_id="co-late")).json()
    assert q["total_fen"] == 1500
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 0})  # a recount found none
    clock.advance(minutes=9)  # 04:04: a new business day, no flash offer; the lock holds until 04:05
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 2), checkout_id="co-late",
                                                    payment={"method": "cash", "amount_fen": 1500}))
    assert sale.status_code == 201, sale.text
    body = sale.json()
    assert body["total_fen"] == 1500 and body["payment"]["amount_fen"] == 1500 and body["exception"] is None
    assert on_hand(store, "CROISSANT") == -2 and reserved(store) == 0
    kinds = [e["kind"] for e in api.get("/api/v1/exceptions", role="manager").json()["exceptions"]]
    assert kinds == ["stock_below_zero"]
    uses = store.reader.conn.execute("SELECT units FROM campaign_uses WHERE sale_id = ?", (body["sale_id"],)).fetchall()
    assert [u[0] for u in uses] == [2]


def test_a_sale_whose_lines_differ_from_the_lock_is_priced_now_and_releases_the_reservations(api, store, clock):
    flash_store(api, clock, croissants=12)  # two flash units
    api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 2), checkout_id="co-a"))
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 2), ("LATTE", 1), checkout_id="co-a")).json()
    assert sale["total_fen"] == 2 * 750 + 2800 and sale["exception"] is None  # charged the edge's price
    assert reserved(store) == 0 and store.reader.conn.execute("SELECT count(*) FROM checkout_locks").fetchone()[0] == 0


def test_a_sale_without_a_checkout_id_takes_its_lanes_open_lock(api, store, clock):
    flash_store(api, clock, croissants=11)
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1))).json()
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1))).json()
    assert sale["total_fen"] == 750 and sale["checkout_id"] == q["checkout_id"] and reserved(store) == 0


def test_a_stored_lock_outlives_a_restart_of_the_edge(api, store, store_dir, clock):
    from edge.services.runtime import StoreRuntime

    flash_store(api, clock, croissants=11)
    api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), checkout_id="co-a"))
    api.put("/api/v1/inventory/CROISSANT", json={"on_hand": 10})  # no surplus left now
    restarted = StoreRuntime(store_dir[0], clock=clock)  # a new process: no lock in memory
    try:
        import asyncio

        from edge.schemas import SaleIn
        from edge.services import sales

        body = msgspec.convert(sale_body(("CROISSANT", 1), checkout_id="co-a"), SaleIn)
        answer = msgspec.json.decode(asyncio.run(sales.record_sale(restarted, body)))
        assert answer["total_fen"] == 750
    finally:
        restarted.close()


def test_the_payer_given_to_the_quote_prices_the_member_and_the_lock_holds_it(api, store):
    consent = {"policy_version": "2026-01", "granted": True, "payment_link": True}
    member_id = api.post("/api/v1/members", json=enrol_body(consent=consent)).json()["member_id"]
    pay = {"method": "wechat_pay", "provider": "wechat", "scope": "wx-1", "payer_id": "o6_payer"}
    api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 6), member_id=member_id, payment=pay))  # silver, linked
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), checkout_id="co-pay", payer={
        "provider": "wechat", "scope": "wx-1", "payer_id": "o6_payer"})).json()
    assert q["member"]["member_id"] == member_id and q["total_fen"] == 2660  # silver 5%
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-pay", payment={
        **pay, "amount_fen": 2660})).json()
    assert sale["total_fen"] == 2660 and sale["member"]["member_id"] == member_id and sale["exception"] is None
    assert sale["points_earned"] == 2660 * 120 // 100 // 100  # silver: 1.2x


def test_a_sale_naming_no_checkout_with_another_cart_frees_its_lanes_old_lock_but_is_not_that_checkout(api, store,
                                                                                                  clock):
    flash_store(api, clock, croissants=11)
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    q = api.post("/api/v1/checkouts/quote", json=quote_body(("CROISSANT", 1), member={"member_id": member_id})).json()
    assert q["total_fen"] == 750  # the lane's last customer, who walked away
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1), ("LATTE", 1))).json()
    assert sale["checkout_id"] is None and sale["member"] is None  # the next customer is not that one
    assert sale["total_fen"] == 750 + 2800 and reserved(store) == 0  # the unit the old quote held is free again
