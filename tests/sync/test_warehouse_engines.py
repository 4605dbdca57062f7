"""The warehouse interface on both engines: leases, report views, retention, migration; HQ's imports."""

import ast
import gzip
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import psycopg
import pytest
from test_hq_postgres_cli import hq

from sync.hq import identity, publish, reports, warehouse
from sync.hq.days import business_day, iso, rate_bps
from sync.wire import BatchHeader

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def _batch(store: str, seq: int, events: list[tuple[str, str, str, dict]]) -> tuple:
    """(header, events) of batch `seq`: events as (event id, type, occurred_at, payload)."""
    evs = [warehouse.Event(seq=seq * 100 + n, event_id=eid, type=kind, occurred_at=at,
                           payload=msgspec.Raw(msgspec.json.encode(p))) for n, (eid, kind, at, p) in enumerate(events)]
    return BatchHeader(store_id=store, epoch_id="E", batch_seq=seq, first_seq=evs[0].seq, last_seq=evs[-1].seq,
                       count=len(evs), sha256="-", signature="-", oldest_at="-", sealed_at="-"), evs


def _ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def test_leases_share_stores_and_a_lapsed_lease_goes_to_another_puller_who_fences_the_old_one(wh):
    wh.register_stores(["s1", "s2", "s3"])
    since = wh.now()
    mine = wh.claim("a", 2, since, timedelta(seconds=-1))  # a lease that has already run out
    assert [s for s, _ in mine] == ["s1", "s2"] and all(was is None for _, was in mine)
    assert wh.claim("b", 5, since, timedelta(minutes=1), skip=["s1", "s2"]) == [("s3", None)]
    taken = wh.claim("b", 5, since, timedelta(minutes=1))
    assert sorted(taken) == [("s1", "a"), ("s2", "a")]  # a's leases lapsed: b takes them, and knows from whom
    assert wh.claim("c", 5, since, timedelta(minutes=1)) == []  # b's are live: nobody takes them
    assert wh.renew("a", ["s1", "s2"], timedelta(minutes=1)) == set()  # a lost them
    assert wh.renew("b", ["s1", "s2", "s3"], timedelta(minutes=1)) == {"s1", "s2", "s3"}
    with pytest.raises(warehouse.LeaseLost):  # a, late, writes nothing more of s1
        wh.ingest_batch("s1", "E", *_batch("s1", 1, [("e1", "sale.completed", _ago(0), {})]), NOW, holder="a")
    assert wh.cursor("s1") == (None, 0) and wh.event_counts("s1") == {}
    assert wh.ingest_batch("s1", "E", *_batch("s1", 1, [("e1", "sale.completed", _ago(0), {})]), NOW, holder="b") == 1
    wh.record_pull("s1", NOW, holder="a")  # a stale release leaves b's lease alone
    assert wh.waiting(since)[0] == 3
    for s in ("s1", "s2", "s3"):
        wh.record_pull(s, NOW, holder="b")
    assert wh.waiting(since)[0] == 0 and wh.lease_holders() == []
    assert wh.claim("c", 5, since, timedelta(minutes=1)) == []  # all pulled since this round began


def test_the_report_views_read_the_same_on_both_engines(wh):
    joined = {"loyal": 60, "new": 3, "active": 60, "at_risk": 200, "dormant": 200}
    orders = {"loyal": [1, 2, 3, 4], "active": [10], "at_risk": [60], "dormant": [100], "new": []}
    events = [(f"j-{m}", "member.joined", _ago(d), {"member_id": m, "phone_hash": f"ph-{m}", "joined_at": _ago(d)})
              for m, d in joined.items()]
    events += [(f"o-{m}-{n}", "sale.completed", _ago(d), {"sale_id": f"{m}-{n}", "member_id": m})
               for m, ds in orders.items() for n, d in enumerate(ds)]
    events += [("o-x", "sale.completed", _ago(1), {"sale_id": "void-me", "member_id": "new"}),
               ("v-x", "sale.voided", _ago(1), {"sale_id": "void-me"}),
               ("d1", "join_rate.daily", _ago(1), {"business_day": "2026-11-23", "revision": 2, "transactions": 10,
                                                    "nonmember_transactions": 8, "joins": 3, "join_rate_bps": 3750})]
    wh.ingest_batch("s1", "E", *_batch("s1", 1, events), NOW)
    wh.ingest_batch("s2", "E", *_batch("s2", 1, [
        ("d2", "join_rate.daily", _ago(1), {"business_day": "2026-11-23", "revision": 1, "transactions": 5,
                                            "nonmember_transactions": 5, "joins": 0, "join_rate_bps": 0})]), NOW)
    segments = dict(wh.execute("SELECT person_id, segment FROM hq_member_segments").fetchall())
    assert segments == {m: m for m in joined}  # each member named for the segment it must land in
    kpis = wh.execute("SELECT store_id, members, loyal, new, active, at_risk, dormant FROM hq_member_kpis").fetchall()
    assert [tuple(r) for r in kpis] == [("s1", 5, 1, 1, 1, 1, 1)]
    chain = wh.execute("SELECT business_day, transactions, nonmember_transactions, joins, join_rate_bps "
                       "FROM hq_join_rate_chain").fetchall()
    assert [tuple(r) for r in chain] == [("2026-11-23", 15, 13, 3, rate_bps(3, 13))]
    lag = wh.execute("SELECT store_id, events, batches_behind FROM hq_store_lag ORDER BY store_id").fetchall()
    assert [tuple(r) for r in lag] == [("s1", len(events), 0), ("s2", 1, 0)]
    assert [x.store_id for x in reports.join_rate(wh)] == ["s1", "s2", "chain"]


def test_retention_archives_old_days_and_keeps_the_recent_ones(wh, tmp_path):
    old = [(f"old-{n}", "sale.completed", _ago(20 + n / 10), {"n": n}) for n in range(3)]
    recent = [(f"new-{n}", "sale.completed", _ago(1), {"n": n}) for n in range(2)]
    wh.ingest_batch("s1", "E", *_batch("s1", 1, old + recent), NOW)
    done = wh.retention(10, NOW, tmp_path)
    assert sum(rows for _, rows, _ in done) == 3
    archived = b"".join(gzip.open(where).read() for _, _, where in done)
    assert all(f"old-{n}".encode() in archived for n in range(3)) and b"new-0" not in archived
    assert sorted(r[0] for r in wh.execute("SELECT event_id FROM events").fetchall()) == ["new-0", "new-1"]
    assert wh.retention(10, NOW, tmp_path) == []


def test_postgresql_events_are_partitioned_by_business_day_made_ahead_and_detached_by_retention(pg_dsn):
    wh = warehouse.open_warehouse(pg_dsn)
    try:
        wh.prepare(NOW)
        today = business_day(NOW, ZoneInfo("Asia/Shanghai"), time(4))
        parts = {d for d in wh._partitions()}
        assert {today + timedelta(days=n) for n in range(4)} <= parts
        # 2026-11-23 01:30 in Shanghai is still the business day of the 22nd (the day starts at 04:00)
        wh.ingest_batch("s1", "E", *_batch("s1", 1, [("late", "sale.completed", "2026-11-22T17:30:00.000Z", {})]),
                        NOW)
        # a batch across the day's start: each event in its own day (the one-day batch above took the
        # shortcut of a constant day; this one has the server compute the day per row)
        wh.ingest_batch("s1", "E", *_batch("s1", 2, [("night", "sale.completed", "2026-11-22T19:59:59.000Z", {}),
                                                     ("dawn", "sale.completed", "2026-11-22T20:00:00.000Z", {})]),
                        NOW)
        rows = dict((r[0], r[1:]) for r in wh.execute(
            "SELECT event_id, tableoid::regclass::text, business_day FROM events").fetchall())
        assert rows == {"late": ("events_p20261122", datetime(2026, 11, 22).date()),
                        "night": ("events_p20261122", datetime(2026, 11, 22).date()),
                        "dawn": ("events_p20261123", datetime(2026, 11, 23).date())}
        moved = wh.retention(30, datetime(2027, 1, 1, tzinfo=UTC), None)
        assert ("2026-11-22", 2, "hq_archive.events_p20261122") in moved
        assert wh.execute("SELECT count(*) FROM hq_archive.events_p20261122").fetchone()[0] == 2
        assert wh.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    finally:
        wh.close()


def _pilot_warehouse(path: Path) -> None:
    """An SQLite warehouse with events, batches, days, identities, a merge, a reversed merge, a version."""
    wh = warehouse.open_warehouse(path)
    for n, store in enumerate(("s1", "s2", "s3")):
        joins = [(f"{store}-j{k}", "member.joined", _ago(5 - n), {"member_id": f"{store}-m{k}",
                  "phone_hash": f"ph{k}", "joined_at": _ago(5 - n)}) for k in range(3)]
        sales = [(f"{store}-o{k}", "sale.completed", _ago(k % 3), {"sale_id": f"{store}-{k}",
                  "member_id": f"{store}-m0"}) for k in range(40)]
        day = [(f"{store}-d", "join_rate.daily", _ago(1), {"business_day": "2026-11-23", "revision": 1,
                "transactions": 40, "nonmember_transactions": 30, "joins": 3, "join_rate_bps": 1000})]
        wh.ingest_batch(store, "E", *_batch(store, 1, joins + sales[:20]), NOW)
        wh.ingest_batch(store, "E", *_batch(store, 2, sales[20:] + day), NOW)
    identity.payer_linked(wh, "s1-m1", "payer-1", _ago(0))
    with wh.transaction():
        publish.next_version(wh)
        identity.unmerge(wh, 1, _ago(0))
    wh.close()


def test_migrate_warehouse_copies_a_pilot_into_postgresql_and_checks_the_counts(pg_dsn, tmp_path):
    pilot = tmp_path / "warehouse.db"
    _pilot_warehouse(pilot)
    done = hq("migrate-warehouse", "--from", str(pilot), "--to", pg_dsn)
    assert done.returncode == 0 and "every count matches" in done.stdout, done.stdout + done.stderr
    lite, pg = warehouse.open_warehouse(str(pilot)), warehouse.open_warehouse(pg_dsn)
    try:
        counts = lite.table_counts()
        assert counts == {**pg.table_counts(), "hq_meta": counts["hq_meta"]} and counts["events"] == 3 * 44
        assert reports.join_rate(lite) == reports.join_rate(pg)
        assert [msgspec.structs.replace(r, last_pulled_by=None) for r in reports.lag(lite, NOW)] == \
            [msgspec.structs.replace(r, last_pulled_by=None) for r in reports.lag(pg, NOW)]
        query = "SELECT member_id, person_id, erased_at, dir_version FROM identities ORDER BY member_id"
        assert [tuple(r) for r in lite.execute(query)] == [tuple(r) for r in pg.execute(query)]
        assert publish.next_version(pg) == 2  # bundle versions carry on
        identity.member_joined(pg, "s4", "s4-m0", "ph0", _ago(0))
        assert max(r[0] for r in pg.execute("SELECT merge_id FROM merges").fetchall()) > max(
            r[0] for r in lite.execute("SELECT merge_id FROM merges").fetchall())  # new merges number on
    finally:
        lite.close()
        pg.close()
    refused = hq("migrate-warehouse", "--from", str(pilot), "--to", pg_dsn)
    assert refused.returncode != 0 and "already has rows" in refused.stderr


def test_a_migration_that_loses_rows_is_reported(pg_dsn, tmp_path):
    pilot = tmp_path / "warehouse.db"
    _pilot_warehouse(pilot)
    assert hq("migrate-warehouse", "--from", str(pilot), "--to", pg_dsn).returncode == 0
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DELETE FROM events WHERE event_id = 's2-o3'")
    again = hq("migrate-warehouse", "--from", str(pilot), "--to", pg_dsn, "--resume")
    assert again.returncode == 0  # --resume finishes the copy: the row is back
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DELETE FROM batches WHERE store_id = 's3'")
        conn.execute("INSERT INTO events SELECT store_id, 'extra', business_day, type, occurred_at, seq, payload "
                     "FROM events LIMIT 1")
    lite, pg = warehouse.open_warehouse(str(pilot)), warehouse.open_warehouse(pg_dsn)
    from sync.hq.migrate import check

    bad = {c.what for c in check(lite, pg) if not c.ok}
    assert bad == {"batches", "events", "stores whose event count matches"}
    lite.close()
    pg.close()


def _imports(path: Path, module: str) -> set[str]:
    """Every module a file imports (at any depth in the file), relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _file(module: str) -> Path | None:
    base = ROOT / module.replace(".", "/")
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()), None)


def test_hq_reaches_stores_over_http_only_and_imports_nothing_of_the_edge():
    """Walk the import graph from every module of sync/hq: no path reaches `edge`, except the pilot's
    provisioning tool, which says what it is in its name and is imported by nothing else."""
    start = [f"sync.hq.{p.stem}" for p in (ROOT / "sync" / "hq").glob("*.py")]
    start += [f"sync.hq.warehouse.{p.stem}" for p in (ROOT / "sync" / "hq" / "warehouse").glob("*.py")]
    seen, todo, reached = set(), list(start), {}
    while todo:
        module = todo.pop()
        if module in seen or module.startswith("sync.hq.pilot"):
            continue
        seen.add(module)
        path = _file(module)
        if path is None:
            continue
        for imported in _imports(path, module):
            reached.setdefault(imported, module)
            if imported.startswith("sync."):
                todo.append(imported)
    assert {m: by for m, by in reached.items() if m == "edge" or m.startswith("edge.")} == {}
    assert "sync.hq.warehouse.postgres" in seen and "sync.bundle_format" in seen  # the walk went deep
    importers = {m for m in seen if _file(m) and any(i.startswith("sync.hq.pilot") for i in _imports(_file(m), m))}
    assert importers == {"sync.hq.cli"}


def test_hq_copies_of_the_edges_pure_helpers_agree_with_the_edge():
    from edge.domain import clock, join_rate, models
    from sync import bundle_format, bundles

    zone = ZoneInfo("Asia/Shanghai")
    for moment in (datetime(2026, 11, 22, 19, 59, 59, 999000, tzinfo=UTC), datetime(2026, 11, 22, 20, 0, tzinfo=UTC),
                   datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)):
        assert iso(moment) == clock.iso(moment)
        assert business_day(moment, zone, time(4)) == join_rate.business_day(moment, zone, time(4))
    assert all(rate_bps(j, n) == join_rate.rate_bps(j, n) for j in range(0, 30, 3) for n in range(0, 50, 7))

    def schema(t: type) -> dict:
        s = msgspec.json.schema(t)
        return {k: v for k, v in s["$defs"][s["$ref"].rsplit("/", 1)[1]].items() if k != "title"}

    assert schema(bundle_format.TierConfig) == schema(models.Tier)
    assert schema(bundle_format.SkuConfig) == schema(models.Sku)
    assert [f.name for f in msgspec.structs.fields(bundle_format.BundleBody)] == \
        [f.name for f in msgspec.structs.fields(bundles.BundleBody)]


def test_a_warehouse_made_before_erasure_gains_its_tables_and_ingest_opens_sealed_fields_with_the_keys(wh_target):
    from edge.services.personal_data import seal

    wh = warehouse.open_warehouse(wh_target)
    with wh.transaction():  # as a warehouse made before tombstones named ids and keys came beside batches
        wh.execute("DROP TABLE data_keys")
        wh.execute("ALTER TABLE erasures DROP COLUMN merged_ids")
    wh.close()
    wh = warehouse.open_warehouse(wh_target)
    try:
        key, phone = bytes(range(32)), "hash-of-a-phone"
        joined = {"member_id": "m1", "joined_at": _ago(1), "phone_hash": None,
                  "personal": seal("k1", key, {"phone_hash": phone})}
        wh.ingest_batch("s1", "E", *_batch("s1", 1, [("e1", "member.joined", _ago(1), joined)]), NOW,
                        keys=[("k1", key)])
        assert wh.execute("SELECT phone_hash FROM identities WHERE member_id = 'm1'").fetchone()[0] == phone
        erased = {"member_id": "m1", "store_id": "s1", "phone_hash": None, "erased_at": _ago(0), "origin": "member",
                  "member_ids": ["m1"], "keys_destroyed": ["k1"]}
        wh.ingest_batch("s1", "E", *_batch("s1", 2, [("e2", "member.erased", _ago(0), erased)]), NOW)
        assert wh.execute("SELECT count(*) FROM data_keys").fetchone()[0] == 0
        assert wh.execute("SELECT merged_ids, phone_hash FROM erasures").fetchall() == [("[]", None)]
        # a store restored from an older copy sends the join and its key again: the key is destroyed at once
        again = warehouse.Event(seq=1, event_id="e1-again", type="member.joined", occurred_at=_ago(1),
                                payload=msgspec.Raw(msgspec.json.encode(joined)))
        header = _batch("s1", 3, [("x", "sale.completed", _ago(0), {})])[0]
        wh.ingest_batch("s1", "E", header, [again], NOW, keys=[("k1", key)])
        assert wh.execute("SELECT count(*) FROM data_keys").fetchone()[0] == 0
        assert wh.execute("SELECT phone_hash, erased_at IS NOT NULL FROM identities").fetchall() == [(None, True)]
    finally:
        wh.close()
