"""Interleavings of quote, re-quote, cancel, expiry and sale on a real store file: caps and the flash
surplus are never exceeded (what was sold plus what live locks hold), no paid sale is refused, and a
sale on a live lock with the quoted lines records exactly the quoted total."""

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from edge.domain.errors import CapReached, OutOfStock
from edge.schemas import QuoteIn, SaleIn
from edge.services import checkout, price_lock, sales
from edge.services.campaigns import save_campaign
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo
from edge.store import catalog as catalog_repo

from support import MovableClock

TUESDAY_5PM_SHANGHAI = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ON_HAND, THRESHOLD, CODE_CAP = 16, 10, 3  # six flash croissants; a code good for three orders
LANES = ["L0", "L1", "L2", "L3"]  # one open checkout a lane; a paid one is followed by a new one
CAPPED = {"campaign_id": "three-only", "kind": "manual", "name_zh": "限量3单", "name_en": "Three only",
          "benefit": {"type": "amount_off", "fen": 100}, "issuance": {"type": "code", "code": "THREE"},
          "limits": {"total": CODE_CAP}}


class LockInterleavings(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="lock-prop-"))
        self.clock = MovableClock(TUESDAY_5PM_SHANGHAI)
        init_store(self.dir, demo_config(), clock=self.clock)
        seed_demo(self.dir, clock=self.clock)
        self.store = StoreRuntime(self.dir, clock=self.clock)
        from edge.domain.campaigns import Campaign
        asyncio.run(save_campaign(self.store, msgspec.convert(CAPPED, Campaign)))
        self.store.writer.call(lambda c: catalog_repo.set_stock(c, "CROISSANT", ON_HAND, self.clock()))
        self.quoted: dict[str, tuple[list, list, int, datetime]] = {}  # lane -> lines, codes, total, until
        self.checkouts = {lane: 0 for lane in LANES}
        self.sold = 0

    def checkout_of(self, lane: str) -> str:
        return f"co-{lane}-{self.checkouts[lane]}"

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(lane=st.sampled_from(LANES), croissants=st.integers(1, 3), with_code=st.booleans())
    def quote(self, lane: str, croissants: int, with_code: bool) -> None:
        lines = [{"sku": "CROISSANT", "qty": croissants}, {"sku": "LATTE", "qty": 1}]
        codes = ["THREE"] if with_code else []
        body = msgspec.convert({"lane_id": lane, "cashier_id": "C1", "checkout_id": self.checkout_of(lane),
                                "lines": lines, "coupon_codes": codes}, QuoteIn)
        try:
            out = asyncio.run(checkout.quote(self.store, body))
        except (CapReached, OutOfStock):  # refused before payment: the till stops here
            self.quoted.pop(lane, None)
            return
        self.quoted[lane] = (lines, codes, out.total_fen, datetime.fromisoformat(
            out.locked_until.replace("Z", "+00:00")))

    @rule(lane=st.sampled_from(LANES))
    def cancel(self, lane: str) -> None:
        asyncio.run(price_lock.cancel(self.store, self.checkout_of(lane)))
        self.quoted.pop(lane, None)

    @rule(minutes=st.integers(1, 12))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @precondition(lambda self: self.quoted)
    @rule(data=st.data(), add_a_line=st.booleans())
    def pay(self, data: st.DataObject, add_a_line: bool) -> None:
        lane = data.draw(st.sampled_from(sorted(self.quoted)))
        lines, codes, total, until = self.quoted.pop(lane)
        sold_lines = lines + ([{"sku": "SANDWICH", "qty": 1}] if add_a_line else [])  # not a flash SKU
        self.sold += 1
        checkout_id = self.checkout_of(lane)
        self.checkouts[lane] += 1  # the lane's next customer is a new checkout
        body = msgspec.convert({"sale_id": f"s-{self.sold}", "lane_id": lane, "cashier_id": "C1",
                                "checkout_id": checkout_id, "lines": sold_lines, "coupon_codes": codes,
                                "payment": {"method": "cash", "amount_fen": total}}, SaleIn)
        answer = msgspec.json.decode(asyncio.run(sales.record_sale(self.store, body)))  # never refused
        assert answer["payment"]["amount_fen"] == total
        if not add_a_line and self.clock() < until:
            assert answer["total_fen"] == total and answer["exception"] is None

    @rule()
    def edge_restarts(self) -> None:
        self.store.close()
        self.store = StoreRuntime(self.dir, clock=self.clock)  # memory gone: stored locks are read back

    @invariant()
    def the_book_knows_every_stored_lock(self) -> None:
        """A sale looks for a stored lock only where the book says one may be: it must never miss one."""
        book = self.store.price_locks
        for checkout_id, lane_id in self.store.reader.conn.execute("SELECT checkout_id, lane_id FROM checkout_locks"):
            assert book.may_be_stored(checkout_id) and book.lane_may_have_stored(lane_id), checkout_id

    @invariant()
    def caps_and_flash_surplus_hold(self) -> None:
        conn = self.store.reader.conn
        now = self.clock().isoformat().replace("+00:00", "Z")
        flash_sold, code_used = conn.execute(
            "SELECT coalesce(sum(CASE WHEN campaign_id = 'flash-pastry' THEN units END), 0), "
            "count(CASE WHEN campaign_id = 'three-only' THEN 1 END) FROM campaign_uses WHERE status = 'active'"
        ).fetchone()
        flash_held, code_held = conn.execute(
            "SELECT coalesce(sum(CASE WHEN campaign_id = 'flash-pastry' THEN units END), 0), "
            "count(CASE WHEN campaign_id = 'three-only' THEN 1 END) FROM reservations WHERE expires_at > ?",
            (now,)).fetchone()
        assert flash_sold + flash_held <= ON_HAND - THRESHOLD
        assert code_used + code_held <= CODE_CAP


LockInterleavings.TestCase.settings = settings(max_examples=15, stateful_step_count=25, deadline=None,
                                               suppress_health_check=[HealthCheck.too_slow])
test_price_lock_interleavings = LockInterleavings.TestCase
