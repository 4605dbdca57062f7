"""Years of a store's history, written by the store's own code: the bulk loader of `bench/history.py`.

Every row comes from the real services (`members.enrol`, `sales.record_sale`, `sales.void_sale`, the
upkeep sweep, the seal, HQ's acknowledgement and the outbox prune), run with a clock that walks the
simulated days. Only the writer differs: `BulkWriter` runs the same commands on one connection and
commits every few thousand of them instead of grouping what lanes send at once, so nothing is
written that a real store would not have written; `check_against_writer` proves it on a sample
(the same inputs through the real `Writer`, every stored row compared).

The shape of a day: `sales_per_day` sales between 07:00 and 22:00 store time; about 60% by
members (named by id, a third of them also paying with a linked WeChat payer), some by customers
who join at the till first (the join rate has joins to count), 0.5% voided, and every evening the
upkeep sweep (coupons and points), a seal, HQ's pull and acknowledgement, and the outbox prune.
"""

import asyncio
import base64
import itertools
import os
import random
import secrets
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar
from zoneinfo import ZoneInfo

import msgspec

from edge.domain.errors import StoreEdgeError
from edge.schemas import EnrolIn, SaleIn
from edge.services import coupons, members, points, sales
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo
from edge.store import catalog as catalog_repo
from edge.store import meta
from edge.store import writer as writer_module
from edge.store.connection import connect, immediate
from sync import batches
from sync import edge_service as sync_service

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)
SKUS = ("AMERICANO", "LATTE", "FLAT-WHITE", "MATCHA-LATTE", "LEMON-TEA", "CROISSANT", "EGG-TART", "CHEESECAKE",
        "SANDWICH", "BEANS-250G")
OPEN, CLOSE = time(7, 0), time(22, 0)
PLENTY = 1_000_000_000  # counted SKUs never run out in the history (a short shelf would refuse sales)


def valid(kind: type[S], body: dict) -> S:
    """The request as the API decodes it: a body the API would refuse stops the load."""
    return msgspec.convert(body, kind)


class BulkWriter:
    """The writer's contract (`run`, `call`) over one connection, committing every `every` commands.

    Each command runs in its own SAVEPOINT, as the real writer's replay does, so one that fails is
    undone alone. synchronous=OFF while loading: the history is rebuilt if the machine dies, and a
    million fsyncs would be the whole cost.
    """

    def __init__(self, path: Path, every: int = 2000) -> None:
        self.conn = connect(path)
        self.conn.execute("PRAGMA synchronous = OFF")
        self.every = every
        self.pending = 0
        self.commands = 0
        self.changes = 0  # as Writer.changes: commands that changed cached reference data

    def _count_change(self) -> None:
        self.changes += 1

    def _exec(self, command: Callable[[sqlite3.Connection], T]) -> T:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("SAVEPOINT cmd")
        pending = writer_module._pending  # what the real writer's thread holds while a command runs
        pending.writer, pending.callbacks = self, []
        try:
            result = command(self.conn)
        except BaseException:
            self.conn.execute("ROLLBACK TO cmd")
            self.conn.execute("RELEASE cmd")
            raise
        finally:
            callbacks, pending.callbacks, pending.writer = pending.callbacks, None, None
        self.conn.execute("RELEASE cmd")
        for callback in callbacks:  # caches only; this connection already sees the change
            callback()
        self.commands += 1
        self.pending += 1
        if self.pending >= self.every:
            self.flush()
        return result

    async def run(self, command: Callable[[sqlite3.Connection], T]) -> T:
        return self._exec(command)

    def call(self, command: Callable[[sqlite3.Connection], T]) -> T:
        return self._exec(command)

    def flush(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self.pending = 0

    def healthy(self) -> bool:
        return True

    def stop(self) -> None:
        self.flush()
        self.conn.close()


class SimClock:
    """The store's clock, set by the loader to each simulated moment."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Plan:
    """What the history holds, derived from its size: members in proportion to sales."""

    days: int
    sales_per_day: int
    members: int
    seed: int = 17
    end: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, years: float, sales_per_day: int, members: int | None = None, seed: int = 17) -> "Plan":
        days = max(1, round(years * 365))
        total = days * sales_per_day
        return cls(days=days, sales_per_day=sales_per_day, members=members or max(50, min(60_000, total // 30)),
                   seed=seed)


def phone_of(n: int) -> str:
    return f"+86139{n:08d}"


def payer_of(n: int) -> str:
    return f"o6_bench_payer_{n:08d}"


def day_moments(rng: random.Random, day: datetime, count: int, tz: ZoneInfo) -> list[datetime]:
    """`count` sorted moments of one store-local day's opening hours, in UTC."""
    local = day.astimezone(tz).replace(hour=OPEN.hour, minute=0, second=0, microsecond=0)
    span = (CLOSE.hour - OPEN.hour) * 3600
    return [(local + timedelta(seconds=s)).astimezone(UTC) for s in sorted(rng.uniform(0, span) for _ in range(count))]


class History:
    """Drives the services over the simulated days of one store."""

    def __init__(self, store: StoreRuntime, clock: SimClock, plan: Plan) -> None:
        self.store, self.clock, self.plan = store, clock, plan
        self.rng = random.Random(plan.seed)
        self.member_ids: list[str] = []  # index n is the member with phone_of(n)
        self.sale_n = 0
        self.sales_done = 0
        self.voided = 0
        self.recent: list[str] = []  # today's sale ids, some to void

    async def enrol(self, n: int, checkout_id: str | None = None) -> str:
        consent = {"policy_version": "2026-01", "granted": True, "marketing": n % 2 == 0, "payment_link": n % 3 == 0}
        data = valid(EnrolIn, {"phone": phone_of(n), "consent": consent, "lane_id": "L1", "cashier_id": "C1",
                               "checkout_id": checkout_id})
        member, _ = await members.enrol(self.store, data)
        self.member_ids.append(member.member_id)
        return member.member_id

    def cart(self) -> list[dict]:
        skus = self.rng.sample(SKUS, self.rng.choice((1, 1, 2, 2, 3, 4)))
        return [{"sku": s, "qty": self.rng.choice((1, 1, 1, 2))} for s in skus]

    async def sale(self, joins: bool) -> None:
        """One sale at the clock's moment: a member's, a joiner's, or a walk-in's."""
        self.sale_n += 1
        sale_id = f"H{self.sale_n:09d}"
        lane = f"L{self.rng.randint(1, 4)}"
        cashier = f"C{self.rng.randint(1, 6)}"
        member_id = checkout = None
        payment: dict = {"method": "cash"}
        roll = self.rng.random()
        if joins and len(self.member_ids) < self.plan.members:
            checkout = f"K{self.sale_n:09d}"
            member_id = await self.enrol(len(self.member_ids), checkout)
        elif roll < 0.6 and self.member_ids:
            n = self.rng.randrange(len(self.member_ids))
            member_id = self.member_ids[n]
            if n % 3 == 0:  # consented to payment links: pays by WeChat, so the payer is linked
                payment = {"method": "wechat_pay", "provider": "wechat", "payer_id": payer_of(n)}
        await sales.record_sale(self.store, valid(SaleIn, {
            "sale_id": sale_id, "lane_id": lane, "cashier_id": cashier, "lines": self.cart(), "payment": payment,
            "checkout_id": checkout, "member_id": member_id}))
        self.sales_done += 1
        self.recent.append(sale_id)

    async def evening(self, end_of_day: datetime) -> None:
        """What the store and HQ do after hours: voids of the day, upkeep, seal, HQ's ack, the prune."""
        self.clock.at = end_of_day
        for sale_id in self.rng.sample(self.recent, len(self.recent) // 200):
            await sales.void_sale(self.store, sale_id, "customer returned it")
            self.voided += 1
        self.recent.clear()
        await coupons.expire_due(self.store)
        await points.maintain(self.store)
        await sync_service.seal(self.store)
        writer = self.store.writer
        writer.flush()  # HQ lists what the readers see
        last = writer.call(lambda c: batches._int_meta(c, batches.LAST_BATCH))
        if last:
            writer.call(lambda c: batches.ack(c, None, last, self.clock.at))
        await sync_service.prune_expired(self.store)
        writer.flush()

    async def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        plan, tz = self.plan, self.store.tz
        first = plan.end - timedelta(days=plan.days)
        joins_per_day = max(1, round(plan.members / plan.days))
        for d in range(plan.days):
            day = first + timedelta(days=d)
            moments = day_moments(self.rng, day, plan.sales_per_day, tz)
            joiners = set(self.rng.sample(range(len(moments)), min(joins_per_day, len(moments))))
            for i, at in enumerate(moments):
                self.clock.at = at
                try:
                    await self.sale(i in joiners)
                except StoreEdgeError as exc:  # a history that refuses its own sales is a broken bench
                    raise SystemExit(f"history: sale {self.sale_n} refused: {exc}") from exc
            close = day.astimezone(tz).replace(hour=CLOSE.hour, minute=30, second=0, microsecond=0)
            await self.evening(close.astimezone(UTC))
            if progress:
                progress(d + 1, plan.days)


def new_store(data_dir: Path, at: datetime, keys: bytes | None = None) -> None:
    """A demo store created at `at`, its counted SKUs stocked for years of sales; `keys` replaces its
    random secrets (two stores with the same keys sign and hash alike)."""
    init_store(data_dir, demo_config(), clock=lambda: at, chain_key=keys)
    seed_demo(data_dir, clock=lambda: at)
    conn = connect(data_dir / "store.db")
    with immediate(conn):
        for sku in SKUS:
            catalog_repo.set_stock(conn, sku, PLENTY, at)
        if keys is not None:
            for name in ("store_key", "sync_key"):
                meta.set_secret(conn, name, keys)
    conn.close()


def open_bulk(data_dir: Path, clock: SimClock, every: int = 2000) -> StoreRuntime:
    """The store with its writer swapped for a BulkWriter (its own writer thread stopped first)."""
    store = StoreRuntime(data_dir, clock=clock)
    store.writer.stop()
    store.writer = BulkWriter(store.path, every)  # type: ignore[assignment]
    return store


def build(data_dir: Path, plan: Plan, progress: Callable[[int, int], None] | None = None) -> History:
    """Create a store at `data_dir` holding `plan`'s history, ending at `plan.end`."""
    start = plan.end - timedelta(days=plan.days + 1)
    new_store(data_dir, start)
    clock = SimClock(start)
    store = open_bulk(data_dir, clock)
    history = History(store, clock, plan)
    try:
        asyncio.run(history.run(progress))
    finally:
        store.close()
    return history


# -- the check: the bulk loader writes what the real writer writes ---------------------------------

# Tables whose rows depend on more than the inputs: keys minted at random when the store is made,
# and the migrations' own record of when they ran.
NOT_COMPARED = {"api_keys", "_sqlite_migrations", "sqlite_sequence", "sqlite_stat1"}


@contextmanager
def counted_ids() -> Iterator[None]:
    """uuid7 replaced, in every loaded module that uses it, by a counter shaped like one, and the
    random draws (coupon and referral codes, data keys, sealing nonces) by a seeded generator: two
    runs of the same inputs then make the same ids, codes, keys and sealed fields."""
    from edge.domain import ids

    real = ids.uuid7
    counter = itertools.count(1)
    rng = random.Random(0)
    # only the store's own modules draw from it (libraries draw too, and not alike in both runs)
    seeded = SimpleNamespace(choice=rng.choice, token_bytes=rng.randbytes, urandom=rng.randbytes,
                             token_hex=lambda n=32: rng.randbytes(n).hex(),
                             token_urlsafe=lambda n=32: base64.urlsafe_b64encode(rng.randbytes(n)).rstrip(b"=").decode())
    swapped = [(m, "secrets", secrets) for m in list(sys.modules.values())
               if (getattr(m, "__name__", "") or "").startswith("edge.") and getattr(m, "secrets", None) is secrets]
    swapped.append((sys.modules["edge.services.personal_data"], "os", os))  # its sealing nonces
    for module, name, _ in swapped:
        setattr(module, name, seeded if name == "secrets" else SimpleNamespace(urandom=rng.randbytes))

    def counted() -> str:
        text = f"{next(counter):032x}"
        return f"{text[:8]}-{text[8:12]}-7{text[13:16]}-8{text[17:20]}-{text[20:]}"

    patched = [m for m in list(sys.modules.values()) if getattr(m, "uuid7", None) is real]
    for module in patched:
        module.uuid7 = counted  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.uuid7 = real  # type: ignore[attr-defined]
        for module, name, real_module in swapped:
            setattr(module, name, real_module)


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (bar NOT_COMPARED), in primary-key order."""
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
              if r[0] not in NOT_COMPARED]
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    conn.close()
    return out


async def _drive(store: StoreRuntime, clock: SimClock, plan: Plan) -> History:
    history = History(store, clock, plan)
    first = plan.end - timedelta(days=plan.days)
    for d in range(plan.days):
        day = first + timedelta(days=d)
        moments = day_moments(history.rng, day, plan.sales_per_day, store.tz)
        joiners = set(history.rng.sample(range(len(moments)), min(3, len(moments))))
        for i, at in enumerate(moments):
            clock.at = at
            await history.sale(i in joiners)
        clock.at = moments[-1] + timedelta(minutes=5)
        for sale_id in history.recent[:2]:
            await sales.void_sale(store, sale_id, "customer returned it")
        history.recent.clear()
        await coupons.expire_due(store)
        await points.maintain(store)
        await sync_service.seal(store)
    return history


def check_against_writer(work: Path, days: int = 3, sales_per_day: int = 40) -> dict[str, int]:
    """The same inputs through the real Writer and through the BulkWriter: every row of every table equal.

    Returns the rows compared per table; raises AssertionError naming the first table that differs.
    """
    plan = Plan(days=days, sales_per_day=sales_per_day, members=days * 3 + 5, seed=7,
                end=datetime(2026, 3, 1, tzinfo=UTC))
    start = plan.end - timedelta(days=days + 1)
    key = b"k" * 32  # payer hashes, receipt QR tokens and batch signatures depend on the keys: shared
    found = {}
    for name, bulk in (("real", False), ("bulk", True)):
        data_dir = work / name
        with counted_ids():
            new_store(data_dir, start, keys=key)
            clock = SimClock(start)
            store = open_bulk(data_dir, clock, every=7) if bulk else StoreRuntime(data_dir, clock=clock)
            try:
                asyncio.run(_drive(store, clock, plan))
            finally:
                store.close()
        found[name] = table_rows(data_dir / "store.db")
    if found["real"].keys() != found["bulk"].keys():
        raise AssertionError(f"tables differ: {sorted(found['real'].keys() ^ found['bulk'].keys())}")
    for table, real in found["real"].items():
        bulk = found["bulk"][table]
        if real != bulk:
            diff = next((i for i, (a, b) in enumerate(zip(real, bulk, strict=False)) if a != b), min(len(real), len(bulk)))
            raise AssertionError(f"{table}: the bulk loader differs from the real writer at row {diff} "
                                 f"({len(real)} vs {len(bulk)} rows): {real[diff:diff + 1]} vs {bulk[diff:diff + 1]}")
    return {t: len(rows) for t, rows in found["real"].items()}
