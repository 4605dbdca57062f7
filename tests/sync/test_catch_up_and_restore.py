"""HQ away for a week, and a store restored from an older backup: HQ loses nothing and doubles nothing."""

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import msgspec

from edge.schemas import EnrolIn, SaleIn
from edge.services import members, sales
from edge.services.runtime import StoreRuntime

from harness import cli, hq_event_ids, sell, write_stores


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _offline_week(data_dir, first_day: datetime, per_day: int) -> None:  # noqa: ANN001
    """A week of sales and joins at a store nobody pulls, on the store's own clock."""
    clock = _Clock(first_day)
    store = StoreRuntime(data_dir, clock=clock)

    async def week() -> None:
        for day in range(7):
            clock.now = first_day + timedelta(days=day)
            for n in range(per_day):
                clock.now += timedelta(minutes=7)
                member_id = None
                if n % 3 == 0:  # a third of the customers join at the till during their checkout
                    checkout = f"co-{day}-{n}"
                    member, _ = await members.enrol(store, msgspec.convert({
                        "phone": f"1380000{day:02d}{n:02d}", "consent": {"policy_version": "2026-01", "granted": True},
                        "source": "cashier", "lane_id": "L1", "cashier_id": f"C{n % 2}", "checkout_id": checkout},
                        EnrolIn))
                    member_id = member.member_id
                body = {"sale_id": f"wk-{day}-{n}", "lane_id": "L1", "cashier_id": f"C{n % 2}",
                        "lines": [{"sku": "AMERICANO", "qty": 1}], "payment": {"method": "cash"}}
                if member_id:
                    body |= {"member_id": member_id, "checkout_id": f"co-{day}-{n}"}
                await sales.record_sale(store, msgspec.convert(body, SaleIn))

    try:
        asyncio.run(week())
    finally:
        store.close()


def test_a_week_offline_is_caught_up_exactly_once_with_the_stores_own_daily_counts(chain):
    edge = chain.edge("week", start=False)
    _offline_week(edge.data_dir, datetime(2026, 11, 9, 1, 0, tzinfo=UTC), per_day=30)
    edge.start()
    # the store's upkeep releases the week's held points soon after it starts (more events): that
    # sweep is done before the pull, so the outbox holds what HQ must end up with
    assert edge.call("POST", "/api/v1/campaigns/maintenance", role="manager").is_success
    write_stores(chain.stores_file, [edge.entry])
    done = cli("hq", "pull", "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse), "--quiet",
               "--page", "2")
    assert "0 failed" in done.stdout, done.stdout + done.stderr
    at_hq = hq_event_ids(chain.warehouse, "week")
    assert len(at_hq) == len(set(at_hq)) and set(at_hq) == edge.outbox_ids()
    own = edge.call("GET", "/api/v1/reports/join-rate", role="manager",
                    params={"from": "2026-11-09", "to": "2026-11-15", "by": "day"}).json()["rows"]
    report = cli("hq", "report", "join-rate", "--warehouse", str(chain.warehouse), "--json")
    at_hq_days = {r["business_day"]: r for r in msgspec.json.decode(report.stdout) if r["store_id"] == "week"}
    assert len(own) == 7 and len(at_hq_days) == 7
    for row in own:
        hq_row = at_hq_days[row["key"]]
        assert (hq_row["transactions"], hq_row["nonmember_transactions"], hq_row["joins"], hq_row["join_rate_bps"]) \
            == (row["transactions"], row["nonmember_transactions"], row["joins"], row["join_rate_bps"])
        assert row["joins"] == 10 and row["transactions"] == 30


def test_a_store_restored_from_an_older_backup_starts_a_new_epoch_and_hq_loses_and_doubles_nothing(chain):
    edge = chain.edge("restore")
    sell(edge, 4, prefix="before")
    write_stores(chain.stores_file, [edge.entry])
    pull = ("hq", "pull", "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse), "--quiet")
    assert "0 failed" in cli(*pull).stdout
    backup = edge.data_dir / "backup.db"
    with edge.db() as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    sell(edge, 5, prefix="lost")  # after the backup: HQ gets these, the restored store will not have them
    assert "0 failed" in cli(*pull).stdout
    held_before_restore = set(hq_event_ids(chain.warehouse, "restore"))
    old_epoch = edge.status()["epoch_id"]

    edge.kill()
    for suffix in ("", "-wal", "-shm"):
        (edge.data_dir / f"store.db{suffix}").unlink(missing_ok=True)
    backup.rename(edge.data_dir / "store.db")
    edge.start()
    sell(edge, 3, prefix="new")

    resumed = cli(*pull)
    assert "0 failed" in resumed.stdout and "new epoch" in resumed.stdout, resumed.stdout + resumed.stderr
    st = edge.status()
    assert st["epoch_id"] != old_epoch and st["unacked_batches"] == 0
    at_hq = hq_event_ids(chain.warehouse, "restore")
    assert len(at_hq) == len(set(at_hq))
    assert set(at_hq) == held_before_restore | edge.outbox_ids()
    with sqlite3.connect(chain.warehouse) as conn:
        sales_at_hq = conn.execute("SELECT count(*) FROM events WHERE store_id = 'restore' "
                                   "AND type = 'sale.completed'").fetchone()[0]
        epochs = conn.execute("SELECT count(*) FROM epochs WHERE store_id = 'restore'").fetchone()[0]
    assert sales_at_hq == 4 + 5 + 3 and epochs == 2
