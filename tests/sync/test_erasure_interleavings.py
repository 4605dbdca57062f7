"""A property over interleavings of join, re-join, erase, pull, publish and provision: a tombstone never
erases a live member it did not name (the member erased and the same person's earlier joins).

The stores are real store databases (copies of one provisioned store) and HQ a real warehouse; the
steps call the same functions the services do: a join is the members row and its `member.joined`,
an erasure is `erase_member` and its tombstone, HQ learns each store's events when it pulls that
store (in any order across stores), and a publish builds and applies every store's bundle.
"""

import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edge.config import StoreConfig
from edge.domain.clock import iso
from edge.domain.identity import phone_hash
from edge.domain.ids import uuid7
from edge.services.erasure import erase_member
from sync.bundles import BundleBody, apply_body
from sync.hq import identity, publish, warehouse
from sync.hq.pilot.provision import provision_store
from sync.hq.stores import StoreEntry

PHONES = ["+8613900001111", "+8613900002222", "+8613900003333"]
CHAIN = bytes(32)
START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template")
    provision_store(root / "s", StoreConfig(store_id="template", name="T"), CHAIN, "http://127.0.0.1:1")
    return root / "s" / "store.db"


@dataclass
class Chain:
    root: Path
    template: Path
    wh: warehouse.Warehouse
    stores: dict[str, sqlite3.Connection] = field(default_factory=dict)
    waiting: dict[str, list[tuple]] = field(default_factory=dict)  # events HQ has not pulled yet
    members: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)  # id -> (store, phone, joined)
    erasures: list[tuple[str, datetime]] = field(default_factory=list)  # (phone, when)
    now: datetime = START

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def provision(self) -> None:
        store_id = f"s{len(self.stores)}"
        (self.root / store_id).mkdir()
        shutil.copy(self.template, self.root / store_id / "store.db")
        self.stores[store_id] = sqlite3.connect(self.root / store_id / "store.db", isolation_level=None)
        self.waiting[store_id] = []

    def join(self, store_id: str, phone: str) -> None:
        conn, now, hashed = self.stores[store_id], self.tick(), phone_hash(CHAIN, phone)
        if conn.execute("SELECT 1 FROM members WHERE phone_hash = ? AND erased_at IS NULL", (hashed,)).fetchone():
            return  # a member here or known from HQ: enrolling the phone returns them
        member_id = uuid7()
        conn.execute("INSERT INTO members (member_id, phone_e164, phone_hash, tier_id, joined_at, join_store_id, "
                     "join_source, updated_at) VALUES (?, ?, ?, 'regular', ?, ?, 'cashier', ?)",
                     (member_id, phone, hashed, iso(now), store_id, iso(now)))
        self.members[member_id] = (store_id, phone, now)
        self.waiting[store_id].append(("joined", member_id, hashed, iso(now)))

    def erase(self, member_id: str) -> None:
        store_id, phone, _ = self.members[member_id]
        conn, now = self.stores[store_id], self.tick()
        if conn.execute("SELECT erased_at FROM members WHERE member_id = ?", (member_id,)).fetchone()[0]:
            return
        conn.execute("BEGIN IMMEDIATE")
        erase_member(conn, store_id, member_id, now, "member")
        payload = conn.execute("SELECT payload FROM outbox WHERE type = 'member.erased' ORDER BY seq DESC").fetchone()
        conn.execute("COMMIT")
        tombstone = msgspec.json.decode(payload[0])
        self.erasures.append((phone, now))
        self.waiting[store_id].append(("erased", member_id, tombstone["member_ids"], iso(now)))

    def pull(self, store_id: str) -> None:
        with self.wh.transaction():
            for event in self.waiting[store_id]:
                if event[0] == "joined":
                    identity.member_joined(self.wh, store_id, event[1], event[2], event[3])
                else:
                    identity.member_erased(self.wh, store_id, event[1], event[3], event[2])
        self.waiting[store_id] = []

    def publish(self) -> None:
        with self.wh.transaction():
            version = publish.next_version(self.wh)
        for store_id, conn in self.stores.items():
            entry = StoreEntry(store_id=store_id, url="http://x", key="k", sync_key="00" * 32)
            base = publish.store_base_version(self.wh, store_id)
            envelope = publish.bundle_for(self.wh, entry, publish.HqConfig(), list(self.stores), version, base,
                                          self.tick())
            body = msgspec.json.decode(envelope.body, type=BundleBody)
            conn.execute("BEGIN IMMEDIATE")
            apply_body(conn, store_id, body, envelope.sha256, self.now)
            conn.execute("COMMIT")
            with self.wh.transaction():
                publish.record_applied(self.wh, store_id, version)

    def erased_everywhere(self) -> dict[str, list[str]]:
        """Every member id erased at a store or at HQ, with where."""
        found: dict[str, list[str]] = {}
        for store_id, conn in self.stores.items():
            for (member_id,) in conn.execute("SELECT member_id FROM members WHERE erased_at IS NOT NULL"):
                found.setdefault(member_id, []).append(store_id)
        for (member_id,) in self.wh.execute("SELECT member_id FROM identities WHERE erased_at IS NOT NULL").fetchall():
            found.setdefault(member_id, []).append("hq")
        return found

    def check(self) -> None:
        for member_id, where in self.erased_everywhere().items():
            _, phone, joined = self.members[member_id]
            # named: an erasure of the same person (phone) asked no earlier than this member joined
            assert any(p == phone and joined <= at for p, at in self.erasures), \
                f"{member_id} (joined {joined}) erased at {where} by no tombstone naming it"


STEP = st.one_of(
    st.tuples(st.just("join"), st.integers(0, 3), st.sampled_from(PHONES)),
    st.tuples(st.just("erase"), st.integers(0, 20), st.just("")),
    st.tuples(st.just("pull"), st.integers(0, 3), st.just("")),
    st.tuples(st.just("publish"), st.just(0), st.just("")),
    st.tuples(st.just("provision"), st.just(0), st.just("")),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_warehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Makes an empty warehouse of each engine per example (PostgreSQL: a fresh database on the test's server)."""
    if request.param == "sqlite":
        return lambda: warehouse.open_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.db")
    cluster = request.getfixturevalue("pg_cluster")
    return lambda: warehouse.open_warehouse(cluster.database())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=4, max_size=24))
# HQ pulls the re-join at store 1 before store 0's erasure, merges it by phone, then learns of the erasure
@example(steps=[("join", 0, PHONES[0]), ("pull", 0, ""), ("erase", 0, ""), ("join", 1, PHONES[0]),
                ("pull", 1, ""), ("pull", 0, ""), ("publish", 0, "")])
# a store provisioned after an erasure and a re-join receives the old tombstone with the directory
@example(steps=[("join", 0, PHONES[1]), ("pull", 0, ""), ("publish", 0, ""), ("erase", 0, ""), ("pull", 0, ""),
                ("publish", 0, ""), ("join", 1, PHONES[1]), ("pull", 1, ""), ("provision", 0, ""),
                ("publish", 0, "")])
def test_no_tombstone_erases_a_live_member_it_did_not_name(template, tmp_path_factory, new_warehouse, steps):
    root = tmp_path_factory.mktemp("chain")
    chain = Chain(root, template, new_warehouse())
    chain.provision()
    chain.provision()
    try:
        for op, n, phone in steps:
            stores = list(chain.stores)
            if op == "join":
                chain.join(stores[n % len(stores)], phone)
            elif op == "erase" and chain.members:
                chain.erase(list(chain.members)[n % len(chain.members)])
            elif op == "pull":
                chain.pull(stores[n % len(stores)])
            elif op == "publish":
                chain.publish()
            elif op == "provision" and len(stores) < 4:
                chain.provision()
            chain.check()
        for store_id in chain.stores:  # then everything settles: every tombstone reached everyone
            chain.pull(store_id)
        chain.publish()
        chain.check()
        erased = chain.erased_everywhere()
        for phone, at in chain.erasures:  # and the member each erasure named is erased at HQ
            named = [m for m, (_, p, j) in chain.members.items() if p == phone and j <= at]
            assert any("hq" in erased.get(m, []) for m in named)
    finally:
        for conn in chain.stores.values():
            conn.close()
        chain.wh.close()
