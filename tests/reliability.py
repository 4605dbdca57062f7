"""Shared by the crash, power-cut and fault tests and by bench/reliability.py: a store made for a
load, 8 lanes of joins, sales and redemptions, and the oracle that checks a store file after.

The oracle, whatever happened to the process or the disk:
- the database passes `PRAGMA integrity_check` and its foreign keys hold;
- every sale answered 2xx is there, once, with one `sale.completed` event;
- stock, points and caps agree with the sales the file holds (each was written in its sale's
  transaction, so a torn write would show as a difference).
"""

import asyncio
import itertools
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from litestar.testing import TestClient

from edge.app import create_app
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo

CAPPED_CODE = "LOADCAP"
CAP_TOTAL = 40
CAPPED_CAMPAIGN = {"campaign_id": "load-cap", "kind": "manual", "name_zh": "负载上限券", "name_en": "Load cap",
                   "benefit": {"type": "amount_off", "fen": 100}, "issuance": {"type": "code", "code": CAPPED_CODE},
                   "limits": {"total": CAP_TOTAL}}
COUNTED_SKU = "CROISSANT"
INITIAL_STOCK = 100_000
_phones = itertools.count(13700000000)


def prepare_store(data_dir: Path, stock: int = INITIAL_STOCK) -> dict[str, str]:
    """A demo store made for a load (see `set_up_for_load`); its keys."""
    init_store(data_dir, demo_config())
    keys = seed_demo(data_dir)
    store = StoreRuntime(data_dir)
    try:
        with TestClient(create_app(store)) as c:
            set_up_for_load(c, keys["manager"], stock)
    finally:
        store.close()
    return keys


def set_up_for_load(client: httpx.Client, manager_key: str, stock: int = INITIAL_STOCK) -> None:
    """Through the manager's API: points usable at once (so lanes redeem), a capped code, counted stock."""
    manager = {"Authorization": f"Bearer {manager_key}"}
    r = client.put("/api/v1/points-policy", headers=manager,
                   json={"fen_per_point": 1, "min_redeem": 1, "pending_days": 0, "expire_days": 365})
    assert r.status_code == 200, r.text
    assert client.post("/api/v1/campaigns", headers=manager, json=CAPPED_CAMPAIGN).status_code == 201
    assert client.put(f"/api/v1/inventory/{COUNTED_SKU}", headers=manager, json={"on_hand": stock}).status_code == 200


@dataclass
class LoadResult:
    acked: dict[str, dict] = field(default_factory=dict)  # sale_id -> the 2xx answer
    statuses: Counter = field(default_factory=Counter)
    joins: int = 0
    redemptions: int = 0


async def lane(client: httpx.AsyncClient, lane_no: int, sales: int, result: LoadResult, rng: random.Random,
               run: str, stop: asyncio.Event) -> None:
    """One lane: a join now and then, sales with and without a member, a counted SKU, the capped code,
    and points redeemed by members who have them. Transport errors and 5xx count, and the lane goes on."""
    members: list[tuple[str, str]] = []  # (member_id, last 4 of phone)
    for n in range(sales):
        if stop.is_set():
            return
        try:
            if not members or rng.random() < 0.25:
                phone = str(next(_phones))
                r = await client.post("/api/v1/members", json={
                    "phone": phone, "consent": {"policy_version": "2026-01", "granted": True},
                    "source": "cashier", "lane_id": f"L{lane_no}", "cashier_id": "C1"})
                result.statuses[("join", r.status_code)] += 1
                if r.status_code in (200, 201):
                    members.append((r.json()["member_id"], phone[-4:]))
                    result.joins += 1
            body: dict = {"sale_id": f"{run}-L{lane_no}-{n}", "lane_id": f"L{lane_no}", "cashier_id": "C1",
                          "lines": [{"sku": "LATTE", "qty": 1}, {"sku": COUNTED_SKU, "qty": rng.randint(1, 3)}],
                          "payment": {"method": "cash"}}
            if members and rng.random() < 0.7:
                member_id, last4 = rng.choice(members)
                body["member_id"] = member_id
                if rng.random() < 0.3:
                    body["redeem_points"] = 5
                    body["member_confirmation"] = last4
            if rng.random() < 0.3:
                body["coupon_codes"] = [CAPPED_CODE]
            r = await client.post("/api/v1/sales", json=body)
            if r.status_code == 422 and "redeem_points" in body:  # not enough points yet: sell without
                body.pop("redeem_points")
                body.pop("member_confirmation")
                r = await client.post("/api/v1/sales", json=body)
            result.statuses[("sale", r.status_code)] += 1
            if r.status_code in (200, 201):
                result.acked[body["sale_id"]] = r.json()
                result.redemptions += bool(r.json().get("points_redeemed"))
        except httpx.TransportError:
            result.statuses[("transport", 0)] += 1
            if stop.is_set():
                return


async def run_load(client: httpx.AsyncClient, lanes: int, sales_per_lane: int, rng: random.Random, run: str,
                   stop: asyncio.Event | None = None) -> LoadResult:
    result = LoadResult()
    stop = stop or asyncio.Event()
    seeds = [rng.random() for _ in range(lanes)]
    await asyncio.gather(*(lane(client, n + 1, sales_per_lane, result, random.Random(seeds[n]), run, stop)
                           for n in range(lanes)))
    return result


@dataclass
class Verdict:
    integrity: str
    lost: list[str]
    duplicated: list[str]
    disagreements: list[str]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.lost and not self.duplicated and not self.disagreements


def check_store(db_path: Path, acked: dict[str, dict], initial_stock: int = INITIAL_STOCK) -> Verdict:
    """The oracle (see the module doc) over a store file no process has open."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            return Verdict(integrity, [], [], [])
        problems = [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
        present = {r[0] for r in conn.execute("SELECT sale_id FROM sales")}
        lost = sorted(set(acked) - present)
        events = Counter(r[0] for r in conn.execute(
            "SELECT json_extract(payload, '$.sale_id') FROM outbox WHERE type = 'sale.completed'"))
        duplicated = sorted(s for s, n in events.items() if n > 1)
        missing_events = sorted(s for s in present if events[s] == 0)
        if missing_events:
            problems.append(f"sales without their event: {missing_events[:5]}")
        sold = conn.execute("SELECT coalesce(sum(l.qty), 0) FROM sale_lines l JOIN sales s USING (sale_id) "
                            "WHERE l.sku = ? AND s.status = 'completed'", (COUNTED_SKU,)).fetchone()[0]
        on_hand = conn.execute("SELECT on_hand FROM inventory WHERE sku = ?", (COUNTED_SKU,)).fetchone()[0]
        if on_hand != initial_stock - sold:
            problems.append(f"stock {on_hand} != {initial_stock} - {sold} sold")
        for member_id, balance, ledger in conn.execute(
                "SELECT m.member_id, m.points_balance, coalesce(sum(p.points), 0) FROM members m "
                "LEFT JOIN points_ledger p USING (member_id) GROUP BY m.member_id"):
            if balance != ledger:
                problems.append(f"member {member_id}: balance {balance} != ledger {ledger}")
        earned = conn.execute("SELECT coalesce(sum(points), 0) FROM points_ledger WHERE kind = 'accrue'").fetchone()[0]
        by_sales = conn.execute("SELECT coalesce(sum(points_earned), 0) FROM sales").fetchone()[0] \
            if _has_column(conn, "sales", "points_earned") else earned
        if earned != by_sales:
            problems.append(f"points accrued {earned} != points the sales earned {by_sales}")
        uses = conn.execute("SELECT count(*) FROM campaign_uses WHERE campaign_id = 'load-cap' AND status = 'active'"
                            ).fetchone()[0]
        count = conn.execute("SELECT coalesce(max(n), 0) FROM campaign_use_counts WHERE campaign_id = 'load-cap' "
                             "AND scope = 'total'").fetchone()[0]
        if uses != count or uses > CAP_TOTAL:
            problems.append(f"cap: {uses} uses, running count {count}, cap {CAP_TOTAL}")
        return Verdict(integrity, lost, duplicated, problems)
    finally:
        conn.close()


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in conn.execute(f"PRAGMA table_info({table})"))
