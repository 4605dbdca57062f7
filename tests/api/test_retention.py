"""Retention: old sales HQ has acknowledged go, in small steps; members, points, consents, caps and the
join rate's counts stay exact; the freed pages go back to the disk."""

import asyncio
import sqlite3
from datetime import timedelta

import msgspec

from edge.services import points, retention
from edge.services.runtime import StoreRuntime
from edge.store import meta
from sync import edge_service as sync_service

from builders import enrol_body, sale_body


def hq_pulls_everything(api) -> None:  # noqa: ANN001
    listed = api.get("/sync/v1/batches", role="hq").json()
    if listed["last_batch_seq"]:
        assert api.post("/sync/v1/ack", role="hq", json={"epoch_id": listed["epoch_id"],
                                                         "through_batch_seq": listed["last_batch_seq"]}).is_success


def table(store: StoreRuntime, sql: str) -> list[tuple]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def checkpoint(store: StoreRuntime) -> None:
    """Fold the WAL into the file, so its size says what the database holds."""
    table(store, "PRAGMA wal_checkpoint(TRUNCATE)")


def reports(api, first: str = "2026-11-01", last: str = "2026-12-31") -> dict:  # noqa: ANN001
    """The join-rate report over the days the first sales were made on, by each grouping."""
    return {by: api.get("/api/v1/reports/join-rate", role="manager",
                        params={"from": first, "to": last, "by": by}).json()["rows"]
            for by in ("day", "lane", "cashier", "source")}


def set_retention(store: StoreRuntime, days: int) -> None:
    conn = sqlite3.connect(store.path)
    with conn:
        meta.save_config(conn, msgspec.structs.replace(meta.load_config(conn), retention_days=days))
    conn.close()
    store.config = msgspec.structs.replace(store.config, retention_days=days)


def a_year_of_a_member(api, store, clock) -> str:  # noqa: ANN001
    """A member joins at a checkout; sales with and without members on two lanes; one voided."""
    consent = {"policy_version": "2026-01", "granted": True, "payment_link": True}
    member = api.post("/api/v1/members", json=enrol_body(consent=consent, checkout_id="K1")).json()["member_id"]
    payer = {"method": "wechat_pay", "provider": "wechat", "payer_id": "o6_old"}
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 2), ("CROISSANT", 1), sale_id="old-1",
                                                    checkout_id="K1", member_id=member, payment=payer)).is_success
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="old-2", lane_id="L2")).is_success
    assert api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1), sale_id="old-3")).is_success
    assert api.post("/api/v1/sales/old-3/void", json={"reason": "returned"}).is_success
    clock.advance(days=8)
    asyncio.run(points.maintain(store))  # the held points are released into the ledger
    return member


def test_old_acknowledged_sales_go_and_what_stays_is_exact(api, store, clock):
    member = a_year_of_a_member(api, store, clock)
    before = {"member": api.get("/api/v1/members/lookup", params={"member_id": member}).json(),
              "payer": api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_old"}).json()["member_id"],
              "reports": reports(api),
              "ledger": table(store, "SELECT * FROM points_ledger ORDER BY entry_id"),
              "consents": table(store, "SELECT * FROM consents ORDER BY id"),
              "caps": table(store, "SELECT * FROM campaign_use_counts ORDER BY 1, 2, 3"),
              "days": table(store, "SELECT * FROM sales_day_counts ORDER BY 1, 2")}
    assert before["ledger"] and before["consents"]
    hq_pulls_everything(api)
    clock.advance(days=401)
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="new-1")).is_success
    asyncio.run(sync_service.prune_expired(store))  # the sync retention lets go of the acknowledged events

    done = asyncio.run(retention.run(store, pause=0))

    assert done["sales_pruned"] == 3
    assert table(store, "SELECT sale_id FROM sales") == [("new-1",)]
    assert table(store, "SELECT DISTINCT sale_id FROM sale_lines") == [("new-1",)]
    assert table(store, "SELECT count(*) FROM campaign_uses WHERE sale_id LIKE 'old-%'") == [(0,)]
    after = api.get("/api/v1/members/lookup", params={"member_id": member}).json()
    assert {k: after[k] for k in ("points_balance", "lifetime_spend_fen", "tier")} == \
        {k: before["member"][k] for k in ("points_balance", "lifetime_spend_fen", "tier")}
    assert api.get("/api/v1/members/lookup", params={"payer": "wechat:o6_old"}).json()["member_id"] == before["payer"]
    assert table(store, "SELECT * FROM points_ledger ORDER BY entry_id") == before["ledger"]
    assert table(store, "SELECT * FROM consents ORDER BY id") == before["consents"]
    assert table(store, "SELECT * FROM campaign_use_counts ORDER BY 1, 2, 3") == before["caps"]
    # the forgotten days answer as before, by every grouping; the new sale's day beside them
    assert before["reports"]["lane"] and reports(api) == before["reports"]
    assert table(store, "SELECT * FROM sales_day_counts WHERE business_day < '2027-01-01' ORDER BY 1, 2") == \
        before["days"]
    assert [r["transactions"] for r in reports(api, "2027-12-01", "2028-01-31")["day"]] == [1]


def test_sales_whose_events_hq_has_not_acknowledged_stay_however_old(api, store, clock):
    a_year_of_a_member(api, store, clock)
    clock.advance(days=1000)  # HQ never pulled: the outbox holds every event

    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 0
    assert len(table(store, "SELECT sale_id FROM sales")) == 3
    hq_pulls_everything(api)
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 0  # acknowledged, kept a week by sync
    asyncio.run(sync_service.prune_expired(store))  # nothing yet: the acks are fresh
    clock.advance(days=8)
    asyncio.run(sync_service.prune_expired(store))
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 3


def test_sales_inside_the_retention_stay_and_zero_days_keeps_everything(api, store, clock):
    a_year_of_a_member(api, store, clock)
    hq_pulls_everything(api)
    clock.advance(days=380)
    asyncio.run(sync_service.prune_expired(store))
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 0  # 388 days < 400
    set_retention(store, 0)
    clock.advance(days=100)
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 0
    set_retention(store, 30)
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 3


def test_a_step_deletes_a_bounded_number_of_sales(api, store, clock):
    for n in range(retention.STEP_SALES + 5):
        assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id=f"s{n}")).is_success
    hq_pulls_everything(api)
    clock.advance(days=410)
    asyncio.run(sync_service.prune_expired(store))

    assert asyncio.run(retention.prune_step(store)) == retention.STEP_SALES
    assert asyncio.run(retention.prune_step(store)) == 5
    assert asyncio.run(retention.prune_step(store)) == 0


def test_freed_pages_go_back_to_the_disk(api, store, clock):
    assert table(store, "PRAGMA auto_vacuum") == [(2,)]  # a new store is made incremental
    big = [("LATTE", 1), ("AMERICANO", 2), ("LEMON-TEA", 1)]
    for n in range(600):
        assert api.post("/api/v1/sales", json=sale_body(*big, sale_id=f"s{n:04d}-" + "x" * 40)).is_success
    hq_pulls_everything(api)
    clock.advance(days=410)
    asyncio.run(sync_service.prune_expired(store))
    checkpoint(store)
    size = store.path.stat().st_size

    done = asyncio.run(retention.run(store, pause=0))
    checkpoint(store)

    assert done["sales_pruned"] == 600 and done["pages_freed"] > 0
    assert table(store, "PRAGMA freelist_count") == [(0,)]
    assert store.path.stat().st_size < size


def test_doctor_says_the_size_and_what_retention_will_free(api, store, clock, store_dir):
    from edge.service_config import ServiceConfig
    from edge.services.doctor import DoctorContext, check_retention

    a_year_of_a_member(api, store, clock)
    hq_pulls_everything(api)
    clock.advance(days=410)
    asyncio.run(sync_service.prune_expired(store))
    checkpoint(store)

    found = check_retention(DoctorContext(ServiceConfig(), store_dir[0], clock=clock))

    assert [f.status for f in found] == ["ok"]
    assert "will delete 3 sales" in found[0].detail and "MB" in found[0].detail
    asyncio.run(retention.run(store, pause=0))
    checkpoint(store)
    assert "nothing to delete" in check_retention(DoctorContext(ServiceConfig(), store_dir[0], clock=clock))[0].detail


def test_a_horizon_waits_a_day_behind_the_oldest_event_still_in_the_outbox(store, clock):
    conn = store.reader.conn
    h = retention.horizon(conn, store.config, clock())
    assert h is not None and h.before_day == (clock() - timedelta(days=400) + timedelta(hours=8)).date().isoformat()


def test_a_sale_with_an_open_exception_stays_until_it_is_resolved_and_then_goes_with_it(api, store, clock):
    # charged less than the edge's price: a price exception the manager has to look at
    cheap = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="old-cheap",
                                                      payment={"method": "cash", "amount_fen": 100}))
    assert cheap.json()["exception"] is not None
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="old-plain")).is_success
    hq_pulls_everything(api)
    clock.advance(days=401)
    asyncio.run(sync_service.prune_expired(store))
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 1
    assert table(store, "SELECT sale_id FROM sales") == [("old-cheap",)]
    [open_one] = api.get("/api/v1/exceptions", role="manager", params={"kind": "price"}).json()["exceptions"]
    assert api.post(f"/api/v1/exceptions/{open_one['exception_id']}/resolve", role="manager",
                    json={"note": "staff price, agreed"}).is_success
    hq_pulls_everything(api)
    clock.advance(days=8)
    asyncio.run(sync_service.prune_expired(store))
    assert asyncio.run(retention.run(store, pause=0))["sales_pruned"] == 1
    assert table(store, "SELECT count(*) FROM sales") == [(0,)]
    assert table(store, "SELECT count(*) FROM store_exceptions") == [(0,)]
