"""Every statement the hot paths run reads the tables that grow with history through an index.

The till (quote, sale, void, lookups by phone, member id and payer), HQ's pull (seal, list, body,
ack), the manager's reports, the upkeep sweep and the retention step run once through the real app
while every connection the store opens traces its SQL; each distinct statement is then explained.
A full scan of a table that grows with the store's age (anything not in `BOUNDED`), or an index
SQLite has to build for the statement, fails: on a store with years behind it that statement would
cost in proportion to its history.
"""

import re
import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

import edge.store.reader
import edge.store.writer
from edge.app import create_app
from edge.services import coupons, points, price_lock, retention
from edge.services.runtime import StoreRuntime
from sync import edge_service as sync_service

from builders import enrol_body, quote_body, sale_body
from support import Api, MovableClock

# Tables whose size a store's age does not change, or barely: reference data, settings, a row per
# printer, standee or campaign; sealed batches (pruned once HQ acknowledged them and the sync
# retention passed); the last join-rate revision sent per business day (1,100 rows after three years);
# price locks that hold something scarce and their reservations (only live ones: a sale, a cancel or
# the upkeep's expiry sweep deletes them, so they hold the checkouts of the last few minutes).
BOUNDED = {
    "store_meta", "secrets", "api_keys", "catalog", "inventory", "tiers", "campaigns", "printers", "printer_lanes",
    "standees", "sync_config", "_sqlite_migrations", "sqlite_master", "sqlite_sequence", "campaign_use_counts",
    "sync_batches", "sync_join_rate", "checkout_locks", "reservations",
}
# Statements that scan a growing table and stop at once, or count what retention bounds, and why.
ALLOWED = {
    "SELECT occurred_at FROM outbox ORDER BY seq LIMIT 1": "the oldest event: the first row in seq order",
    "SELECT count(*) FROM outbox": "the outbox holds what HQ has not acknowledged and a week more (sync "
                                   "prunes it); /healthz and HQ's status count it off the event loop",
    "SELECT m.member_id, m.phone_e164, m.joined_at,": "the segments report places every member: two index "
                                                      "seeks each, whatever the store's age",
    "SELECT member_id FROM members WHERE points_balance > 0": "a store's first expiry sweep checks every member "
                                                             "with points; later ones only those with news",
}
SCAN = re.compile(r"\bSCAN (\w+)\b")


class Traced:
    """Collects each statement run on the store's connections."""

    def __init__(self) -> None:
        self.statements: set[str] = set()

    def connect(self, real):  # noqa: ANN001, ANN201
        def traced(*args, **kw):  # noqa: ANN002, ANN003, ANN202
            conn = real(*args, **kw)
            conn.set_trace_callback(self._seen)
            return conn
        return traced

    def _seen(self, sql: str) -> None:
        text = sql.strip()
        if text.split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE"):
            self.statements.add(text)


def plan_problems(conn: sqlite3.Connection, statements: set[str]) -> list[str]:
    problems = []
    for sql in sorted(statements):
        if any(sql.startswith(allowed) for allowed in ALLOWED):
            continue
        try:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        except sqlite3.Error as exc:  # a statement with unbound parameters explains as well; others say why
            problems.append(f"cannot explain ({exc}): {sql}")
            continue
        for step in plan:
            scanned = SCAN.search(step)
            if (scanned and scanned.group(1) not in BOUNDED) or "AUTOMATIC" in step:
                problems.append(f"{step}  <-  {sql[:300]}")
    return problems


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Traced:
    t = Traced()
    monkeypatch.setattr(edge.store.writer, "connect", t.connect(edge.store.writer.connect))
    monkeypatch.setattr(edge.store.reader, "connect", t.connect(edge.store.reader.connect))
    return t


def test_every_hot_path_statement_reads_growing_tables_through_an_index(
        traced: Traced, store_dir: tuple[Path, dict[str, str]], clock: MovableClock) -> None:
    import asyncio

    store = StoreRuntime(store_dir[0], clock=clock)
    try:
        with TestClient(create_app(store)) as client:
            api = Api(client, store_dir[1])
            consent = {"policy_version": "2026-01", "granted": True, "payment_link": True}
            member = api.post("/api/v1/members", json=enrol_body(consent=consent)).json()["member_id"]
            payer = {"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_payer"}
            assert api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2), ("CROISSANT", 1),
                                                                       member={"member_id": member})).is_success
            assert api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member, sale_id="s1",
                                                            payment=payer)).is_success
            assert api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1), sale_id="s2",
                                                            payment=payer)).is_success  # recognised by payer
            assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="s3")).is_success
            assert api.post("/api/v1/sales/s3/void", json={"reason": "returned"}).is_success
            for params in ({"phone": "13800138000"}, {"member_id": member}, {"payer": "wechat:o6_payer"}):
                assert api.get("/api/v1/members/lookup", params=params).is_success
            listed = api.get("/sync/v1/batches", role="hq").json()
            for b in listed["batches"]:
                assert api.get(f"/sync/v1/batches/{b['batch_seq']}", role="hq").is_success
            assert api.post("/sync/v1/ack", role="hq", json={"epoch_id": listed["epoch_id"],
                                                             "through_batch_seq": listed["last_batch_seq"]}).is_success
            assert api.get("/sync/v1/status", role="hq").is_success
            for by in ("day", "lane", "cashier", "source"):
                assert api.get("/api/v1/reports/join-rate", role="manager",
                               params={"from": "2025-11-25", "to": "2026-11-24", "by": by}).is_success
            assert api.get("/api/v1/reports/segments", role="manager").is_success
            assert api.get("/healthz").is_success
            asyncio.run(coupons.expire_due(store))
            asyncio.run(points.maintain(store))
            asyncio.run(points.maintain(store))  # the second sweep looks only at what happened since the first
            asyncio.run(price_lock.release_expired(store))  # the upkeep's, whether or not its loop ran yet
            clock.advance(days=800)
            asyncio.run(sync_service.prune_expired(store))  # HQ acknowledged them: the outbox lets go
            asyncio.run(retention.prune_step(store))
    finally:
        store.close()
    seen = " ".join(traced.statements)
    for part in ("INSERT INTO sales", "FROM sales_lane_counts", "INSERT INTO sync_batches", "UPDATE sync_batches",
                 "FROM payment_identities", "DELETE FROM sale_lines", "FROM points_pending",
                 "UNION ALL SELECT member_id FROM points_ledger"):
        assert part in seen, f"the trace saw no statement with {part!r}: is the store's connect still traced?"
    conn = sqlite3.connect(store_dir[0] / "store.db")
    try:
        problems = plan_problems(conn, traced.statements)
    finally:
        conn.close()
    assert not problems, "statements that scan a growing table:\n" + "\n".join(problems)


def test_the_plan_check_fails_a_scan_of_a_growing_table(store_dir: tuple[Path, dict[str, str]]) -> None:
    conn = sqlite3.connect(store_dir[0] / "store.db")
    try:
        found = plan_problems(conn, {"SELECT count(*) FROM sales WHERE lane_id = 'L1'",
                                     "SELECT * FROM sales WHERE sale_id = 'x'", "SELECT * FROM catalog"})
    finally:
        conn.close()
    assert len(found) == 1 and "lane_id" in found[0]
