"""Two stores open in one process (tests, HQ simulations) keep their own state: offers, checkouts,
secrets, reference reloads and held events never cross between them."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from edge.config import StoreConfig
from edge.domain.events import PointsEntry
from edge.schemas import QuoteIn
from edge.services import checkout
from edge.services.runtime import StoreRuntime, bump_reference
from edge.services.setup import demo_config, init_store, seed_demo
from edge.store.connection import connect
from edge.store.outbox import append_event, batched

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[StoreRuntime, StoreRuntime]]:
    opened = []
    for store_id in ("s-a", "s-b"):
        base = demo_config()
        config = StoreConfig(**{**msgspec.structs.asdict(base), "store_id": store_id})
        init_store(tmp_path / store_id, config, clock=lambda: NOW)
        seed_demo(tmp_path / store_id, clock=lambda: NOW)
        opened.append(StoreRuntime(tmp_path / store_id, clock=lambda: NOW))
    yield opened[0], opened[1]
    for s in opened:
        s.close()


def quote(store: StoreRuntime) -> None:
    asyncio.run(checkout.quote(store, msgspec.convert({"lane_id": "L1", "cashier_id": "C1",
                                                       "lines": [{"sku": "LATTE", "qty": 1}]}, QuoteIn)))


def test_a_quote_puts_its_checkout_and_price_lock_on_its_own_stores_board_only(two_stores):
    a, b = two_stores
    quote(a)
    assert list(a.checkout_board.by_lane) == ["L1"] and b.checkout_board.by_lane == {}
    assert a.price_locks.of_lane("L1") is not None and len(a.price_locks) == 1 and len(b.price_locks) == 0


def test_each_store_plans_its_own_campaigns_and_reads_its_own_secrets(two_stores):
    a, b = two_stores
    a.writer.call(lambda c: c.execute("UPDATE campaigns SET active = 0 WHERE campaign_id = 'flash-pastry'"))
    a.writer.call(bump_reference)
    assert "flash-pastry" not in a.offer_plan(a.reference()).by_id
    assert "flash-pastry" in b.offer_plan(b.reference()).by_id
    assert a.secret("sync_key") != b.secret("sync_key") and len(a.secret("sync_key")) == 32


def test_a_reference_change_reloads_at_once_only_the_store_whose_writer_committed_it(two_stores):
    a, b = two_stores
    before_a, before_b = a.reference(), b.reference()
    a.writer.call(lambda c: c.execute("UPDATE catalog SET price_fen = 2600 WHERE sku = 'LATTE'"))
    a.writer.call(bump_reference)
    assert a.writer.changes == 1 and b.writer.changes == 0
    assert a.reference() is not before_a and a.reference().catalog["LATTE"].price_fen == 2600
    assert b.reference() is before_b


def test_an_event_for_another_connection_is_not_held_by_this_ones_batch(two_stores):
    a, b = two_stores
    conn_a, conn_b = connect(a.path), connect(b.path)
    entry = PointsEntry(entry_id="e1", member_id="m1", kind="accrue", points=1, sale_id=None)
    with batched(conn_a):
        append_event(conn_b, entry, NOW)  # written at once, to its own database
        assert conn_b.execute("SELECT count(*) FROM outbox WHERE type = 'points.entry'").fetchone()[0] == 1
        append_event(conn_a, entry, NOW)
        assert conn_a.execute("SELECT count(*) FROM outbox WHERE type = 'points.entry'").fetchone()[0] == 0
    assert conn_a.execute("SELECT count(*) FROM outbox WHERE type = 'points.entry'").fetchone()[0] == 1
    conn_a.close()
    conn_b.close()
