"""Sales that reach the writer together run in one transaction: each one prices with what the ones
before it in the group already took (flash surplus, caps)."""

import asyncio
import threading
import time
from datetime import UTC, datetime

import msgspec

from edge.schemas import SaleIn
from edge.services import sales

from builders import sale_body

TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # flash hours


def _record_behind_a_held_writer(store, bodies: list[dict]) -> list[dict]:
    """Queue the sales while the writer is held, then let it run them all in one group."""

    async def scenario() -> list[bytes]:
        entered, gate = threading.Event(), threading.Event()

        def hold(conn) -> None:
            entered.set()
            gate.wait(10)

        held = asyncio.ensure_future(store.writer.run(hold))
        assert await asyncio.to_thread(entered.wait, 10), "the writer never took the held command"
        queued = [asyncio.ensure_future(sales.record_sale(store, msgspec.convert(b, SaleIn))) for b in bodies]
        deadline = time.monotonic() + 10
        while store.writer.queued < len(bodies):  # every sale waits behind the held command
            assert time.monotonic() < deadline and not any(q.done() for q in queued), "the sales did not queue"
            await asyncio.sleep(0)
        gate.set()
        await held
        return await asyncio.gather(*queued)

    return [msgspec.json.decode(body) for body in asyncio.run(scenario())]


def test_two_lanes_in_one_group_for_the_last_flash_unit_only_one_gets_it(store, clock):
    clock.set(TUESDAY_5PM_SHANGHAI)
    store.writer.call(lambda c: c.execute("UPDATE inventory SET on_hand = 11 WHERE sku = 'CROISSANT'"))  # 1 above 10
    answers = _record_behind_a_held_writer(store, [sale_body(("CROISSANT", 1), sale_id=f"last-{n}") for n in (1, 2)])

    assert sorted(a["total_fen"] for a in answers) == [750, 1500]  # the second pays full price
    conn = store.reader.conn
    assert conn.execute("SELECT sum(units) FROM campaign_uses WHERE campaign_id = 'flash-pastry'").fetchone()[0] == 1
    assert conn.execute("SELECT on_hand FROM inventory WHERE sku = 'CROISSANT'").fetchone()[0] == 9


def test_with_surplus_enough_both_sales_of_a_group_get_the_flash_price(store, clock):
    clock.set(TUESDAY_5PM_SHANGHAI)
    store.writer.call(lambda c: c.execute("UPDATE inventory SET on_hand = 40 WHERE sku = 'CROISSANT'"))
    answers = _record_behind_a_held_writer(store, [sale_body(("CROISSANT", 1), sale_id=f"calm-{n}") for n in (1, 2)])
    assert [a["total_fen"] for a in answers] == [750, 750]
