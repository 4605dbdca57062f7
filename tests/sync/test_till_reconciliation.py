"""Every yuan the tills took is recorded once: a simulated day of three lanes through pos_plugin against a
real `store-edge serve`, with the edge killed (SIGKILL) and restarted twice and a stretch offline in
between. At the end, per business day: the sum the tills charged = the sum the edge recorded
(`sales.charged_fen`) = the sum HQ pulled; every sale is recorded once; every difference between a
charge and the edge's own price is explained by an exception (on the manager's list and in the sale's
event at HQ), stock taken below zero names a recorded sale, no replay was refused, and every offline
enrolment joined at its checkout.
"""

import random
import sqlite3
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from pos_plugin import (
    ConflictError,
    Consent,
    EdgeClient,
    Enrolment,
    LineIn,
    Payment,
    Sale,
    Till,
    business_day,
)

from harness import cli, write_stores

LANES = 3
PHASES = (12, 24, 36, 48, 60)  # total sales at which the edge is killed, restarted, killed, restarted; the end
MEMBER_PHONES = [f"1380013{n:04d}" for n in range(6)]
MENU = ["AMERICANO", "LATTE", "FLAT-WHITE", "LEMON-TEA", "CROISSANT", "EGG-TART", "CHEESECAKE", "GIFT-CARD-100"]
COUNTED = {"CROISSANT", "EGG-TART", "CHEESECAKE", "SANDWICH", "BEANS-250G"}


@dataclass
class Charged:
    sale_id: str
    lane: str
    charged_fen: int
    day: str
    journaled: bool  # the till journaled it (priced offline, or its answer did not come back)
    waived: bool  # the cashier waived a yuan (抹零): charged below the price on purpose
    enrolment_checkout: str | None = None


@dataclass
class Day:
    charged: list[Charged] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def add(self, entry: Charged) -> None:
        with self.lock:
            self.charged.append(entry)
            self.lock.notify_all()

    def wait_for(self, n: int, timeout: float = 120) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: len(self.charged) >= n or self.refused, timeout=timeout), n
        assert not self.refused, self.refused


def ring_up(till: Till, rng: random.Random, n: int, day: Day, stop: threading.Event) -> None:
    lane = till.edge.lane_id
    while not stop.is_set() and len(day.charged) < PHASES[-1]:
        lines = [LineIn(sku, rng.randint(1, 3)) for sku in rng.sample(MENU, rng.randint(1, 3))]
        who = rng.random()
        phone = rng.choice(MEMBER_PHONES) if who < 0.5 else f"1370013{lane[-1]}{n:03d}"
        enrolment = Enrolment(phone, Consent("2026-01")) if 0.5 <= who < 0.7 else None
        try:
            quote = till.quote(lines, phone=phone if who < 0.7 else None)
        except ConflictError:  # counted stock ran out at the quote: the cashier takes those lines off
            lines = [x for x in lines if x.sku not in COUNTED] or [LineIn("AMERICANO", 1)]
            quote = till.quote(lines, phone=phone if who < 0.7 else None)
        waived = n % 5 == 4 and quote.total_fen > 100
        charged = quote.total_fen - 100 if waived else quote.total_fen
        moment = datetime.now(UTC)
        try:
            sale = till.sell(lines, Payment(rng.choice(["cash", "wechat_pay", "alipay"]), amount_fen=charged),
                             quote=quote, enrolment=enrolment if quote.member is None else None)
        except Exception as exc:  # a paid sale refused: the invariant is broken, stop the day
            with day.lock:
                day.refused.append(f"{lane}-{n}: {exc}")
                day.lock.notify_all()
            return
        enrolled = enrolment is not None and quote.member is None and not isinstance(sale, Sale)
        day.add(Charged(sale.sale_id, lane, charged, business_day(till.book, moment).isoformat(),
                        journaled=not isinstance(sale, Sale), waived=waived,
                        enrolment_checkout=quote.checkout_id if enrolled else None))
        n += 1


def all_exceptions(edge) -> list[dict]:  # noqa: ANN001
    """The manager's exceptions list, every page of it."""
    found: list[dict] = []
    params: dict = {"limit": 500}
    while True:
        page = edge.call("GET", "/api/v1/exceptions", role="manager", params=params)
        assert page.status_code == 200, page.text
        batch = page.json()["exceptions"]
        if not batch:
            return found
        found += batch
        params["before"] = batch[-1]["exception_id"]


def test_a_day_of_lanes_with_two_power_cuts_and_an_offline_stretch_reconciles_till_edge_and_hq(chain):
    edge = chain.edge("recon")
    tills = []
    for i in range(LANES):
        client = EdgeClient(edge.url, edge.keys["lane"], f"L{i + 1}", f"C{i + 1}", timeout=2.0, retries=0,
                            backoff=lambda attempt: None)
        tills.append(Till(client, chain.root / f"lane-{i + 1}", retry_online_after=0.5, backoff_base=0.1,
                          backoff_max=1.0, book_every=2.0))
    for phone in MEMBER_PHONES:
        tills[0].edge.enrol(phone, Consent("2026-01"))
    for till in tills:
        assert till.refresh_book() and len(till.book.members) == len(MEMBER_PHONES)
        till.start(interval=0.1)  # the product's own loop: flush when due, refresh the book

    day, stop = Day(), threading.Event()
    lanes = [threading.Thread(target=ring_up, args=(t, random.Random(7 + i), 0, day, stop), daemon=True)
             for i, t in enumerate(tills)]
    for lane in lanes:
        lane.start()
    try:
        day.wait_for(PHASES[0])
        edge.kill()  # power cut in the middle of the lanes' sales
        day.wait_for(PHASES[1])
        edge.start()
        day.wait_for(PHASES[2])
        edge.kill()
        day.wait_for(PHASES[3])
        edge.start()
        day.wait_for(PHASES[4])
    finally:
        stop.set()
        for lane in lanes:
            lane.join(timeout=60)
    for till in tills:
        assert till.journal.wait_until(lambda j: j.waiting() == 0, timeout=120), till.status()
        assert till.status().failed == 0, till.journal.entries()
        till.close()
    assert any(c.journaled for c in day.charged) and any(not c.journaled for c in day.charged)
    assert any(c.waived for c in day.charged)

    # what the tills charged, per business day
    tills_by_day: dict[str, int] = defaultdict(int)
    for c in day.charged:
        tills_by_day[c.day] += c.charged_fen
    charged = {c.sale_id: c for c in day.charged}
    assert len(charged) == len(day.charged)

    # what the edge recorded: one row per sale, its charged amount in sales.charged_fen
    with edge.db() as conn:
        rows = conn.execute("SELECT sale_id, business_day, status, charged_fen, total_fen, response FROM sales"
                            ).fetchall()
        joined = {r[0] for r in conn.execute("SELECT join_checkout_id FROM members WHERE join_checkout_id IS NOT NULL")}
    recorded = {r[0]: msgspec.json.decode(r[5]) for r in rows}
    assert len(rows) == len(recorded) and set(recorded) == set(charged)
    assert all(status == "completed" for _, _, status, _, _, _ in rows)
    edge_by_day: dict[str, int] = defaultdict(int)
    for sale_id, bday, _, charged_fen, _, _ in rows:
        assert charged_fen == charged[sale_id].charged_fen == recorded[sale_id]["payment"]["amount_fen"], sale_id
        assert bday == charged[sale_id].day, sale_id  # the business day of the ring-up, offline too
        edge_by_day[bday] += charged_fen
    assert dict(edge_by_day) == dict(tills_by_day)

    # every difference explained: on the manager's list, an exception per sale charged other than the edge's
    # price or rung up offline, saying by how much; no replay refused; stock below zero names a real sale
    listed = all_exceptions(edge)
    assert not [e for e in listed if e["kind"] == "replay_refused"], listed
    assert {e["sale_id"] for e in listed if e["kind"] == "stock_below_zero"} <= set(recorded)
    by_sale = {e["sale_id"]: e for e in listed if e.get("sale_id") and e["kind"] in ("price", "offline")}
    assert set(by_sale) <= set(recorded)
    edge_total = {r[0]: r[4] for r in rows}
    for sale_id, sale in recorded.items():
        c = charged[sale_id]
        assert not sale["offline"] or c.journaled  # a sale recorded as offline came from a till's journal
        exc = sale.get("exception")
        if c.charged_fen != edge_total[sale_id] or sale["offline"] or c.waived:
            assert exc is not None and by_sale[sale_id]["exception_id"] == exc["exception_id"], sale_id
            assert by_sale[sale_id]["kind"] == ("offline" if sale["offline"] else "price")
            assert exc["charged_fen"] == c.charged_fen and exc["edge_total_fen"] == edge_total[sale_id]
            assert exc["difference_fen"] == c.charged_fen - edge_total[sale_id] == by_sale[sale_id]["difference_fen"]
        else:  # no exception: the edge's own price is what was charged
            assert exc is None and sale_id not in by_sale, sale_id
        if c.waived and not sale["offline"]:
            assert exc["difference_fen"] < 0
    # every offline enrolment joined at its checkout (and so counts in the join rate)
    assert {c.enrolment_checkout for c in day.charged if c.enrolment_checkout} <= joined

    # what HQ pulled
    write_stores(chain.stores_file, [edge.entry])
    done = cli("hq", "pull", "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse), "--quiet")
    assert "0 failed" in done.stdout, done.stdout + done.stderr
    with sqlite3.connect(chain.warehouse) as conn:
        pulled = [msgspec.json.decode(p) for (p,) in conn.execute(
            "SELECT payload FROM events WHERE store_id = 'recon' AND type = 'sale.completed'")]
    assert Counter(p["sale_id"] for p in pulled) == Counter({sale_id: 1 for sale_id in charged})
    hq_by_day: dict[str, int] = defaultdict(int)
    for p in pulled:
        hq_by_day[p["business_day"]] += p["charged_fen"]
        # the difference travels with the sale: HQ sees the same exception the manager does
        exc = recorded[p["sale_id"]].get("exception")
        assert (p.get("exception") or {}).get("exception_id") == (exc or {}).get("exception_id"), p["sale_id"]
    assert dict(hq_by_day) == dict(tills_by_day)
