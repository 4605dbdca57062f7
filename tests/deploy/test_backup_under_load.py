"""A backup taken while 8 lanes sell, restored into a fresh directory: sound, every sale answered before
the backup began is in it, and HQ pulls the restored store without a gap or a duplicate."""

import json
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import msgspec

from edge.config import StoreConfig
from edge.services.backup import integrity_errors
from sync.hq.pilot.provision import chain_key, provision_store
from sync.hq.stores import save_stores

from ops_support import Served, cli, free_port

LANES = 8


class Lanes:
    """8 tills selling as fast as the store answers, each on its own connection; records when each
    sale was answered (monotonic time), so a test can tell which were acknowledged before a moment."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.answered: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._sell, args=(lane,), daemon=True) for lane in range(LANES)]

    def _sell(self, lane: int) -> None:
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30) as client:
            n = 0
            while not self._stop.is_set():
                sale_id = f"L{lane}-{n:05d}"
                r = client.post("/api/v1/sales", json={
                    "sale_id": sale_id, "lane_id": f"L{lane}", "cashier_id": "C1",
                    "lines": [{"sku": "LATTE", "qty": 1}, {"sku": "AMERICANO", "qty": 1}],
                    "payment": {"method": "cash"}})
                with self._lock:
                    if r.status_code == 201:
                        self.answered.append((sale_id, time.monotonic()))
                    else:
                        self.errors.append(f"{sale_id}: {r.status_code} {r.text[:200]}")
                    self._lock.notify_all()
                n += 1

    def __enter__(self) -> "Lanes":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def wait_for(self, more: int, seconds: float = 60) -> None:
        """Block until `more` further sales have been answered (bounded)."""
        with self._lock:
            target = len(self.answered) + more
            assert self._lock.wait_for(lambda: len(self.answered) >= target or self.errors, timeout=seconds)
            assert not self.errors, self.errors[:3]

    def answered_before(self, moment: float) -> set[str]:
        with self._lock:
            return {sale_id for sale_id, at in self.answered if at < moment}


def _pull(stores: Path, warehouse: Path) -> str:
    done = cli("hq", "pull", "--stores", str(stores), "--warehouse", str(warehouse), "--quiet")
    assert done.returncode == 0 and "0 failed" in done.stdout, done.stdout + done.stderr
    return done.stdout


def test_a_backup_under_8_lanes_restores_every_answered_sale_and_hq_pulls_it_without_gap_or_duplicate(tmp_path):
    chain = chain_key(tmp_path / "chain.key")
    live_dir, port = tmp_path / "live", free_port()
    url = f"http://127.0.0.1:{port}"
    entry, keys = provision_store(live_dir, StoreConfig(store_id="bk-001", name="Backup store", public_base_url=url),
                                  chain, url)
    assert cli("sync", "settings", "--data-dir", str(live_dir), "--batch-max-events", "25").returncode == 0
    stores, warehouse = tmp_path / "hq" / "stores.json", tmp_path / "hq" / "warehouse.db"
    stores.parent.mkdir()
    save_stores(stores, [entry])
    hq = {"Authorization": f"Bearer {keys['hq']}"}

    with Served(live_dir, port=port) as live, Lanes(live.url, keys["lane"]) as lanes:
        lanes.wait_for(60)
        _pull(stores, warehouse)  # HQ holds and acknowledged the first part
        lanes.wait_for(60)
        # HQ lists once more and seals, but does not get to acknowledge: the backup holds sealed
        # batches HQ may or may not have
        listed = httpx.get(f"{live.url}/sync/v1/batches", params={"after": 10_000_000, "limit": 1}, headers=hq)
        assert listed.status_code == 200
        lanes.wait_for(40)
        began = time.monotonic()
        backup = cli("backup", "--data-dir", str(live_dir), "--to", str(tmp_path / "backups"))
        assert backup.returncode == 0, backup.stderr
        lanes.wait_for(80)  # the store kept selling through and after the backup
        _pull(stores, warehouse)  # HQ gets sales the backup will not have
        answered_before = lanes.answered_before(began)
    assert lanes.errors == []
    backup_file = Path(backup.stdout.split()[1])
    with sqlite3.connect(backup_file) as conn:
        unacked_in_backup = conn.execute("SELECT count(*) FROM sync_batches WHERE acked_at IS NULL").fetchone()[0]
    assert unacked_in_backup > 0  # the case that matters: sealed, not acknowledged when the copy was made

    restored_dir = tmp_path / "restored"
    restore = cli("restore", str(backup_file), "--data-dir", str(restored_dir))
    assert restore.returncode == 0, restore.stderr
    assert integrity_errors(restored_dir / "store.db") == []
    with sqlite3.connect(restored_dir / "store.db") as conn:
        restored_sales = {r[0] for r in conn.execute("SELECT sale_id FROM sales")}
    assert len(answered_before) >= 160
    assert answered_before <= restored_sales

    # Before HQ comes back, the restored store sells and seals past HQ's cursor: those batch seqs name
    # other events than the ones HQ holds under them, which only a new epoch tells HQ
    with sqlite3.connect(warehouse) as conn:
        hq_cursor = conn.execute("SELECT through_batch_seq FROM stores WHERE store_id = 'bk-001'").fetchone()[0]
    with sqlite3.connect(restored_dir / "store.db") as conn:
        restored_last = int(conn.execute("SELECT value FROM store_meta WHERE key = 'sync.last_batch_seq'").fetchone()[0])
    port2 = free_port()
    save_stores(stores, [msgspec.structs.replace(entry, url=f"http://127.0.0.1:{port2}")])  # the new machine
    with Served(restored_dir, port=port2) as restored:
        lane = httpx.Client(base_url=restored.url, headers={"Authorization": f"Bearer {keys['lane']}"}, timeout=10)
        for n in range((hq_cursor - restored_last + 2) * 25):
            r = lane.post("/api/v1/sales", json={"sale_id": f"after-{n}", "lane_id": "L1", "cashier_id": "C1",
                                                 "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}})
            assert r.status_code == 201, r.text
        lane.close()
        sealed = httpx.get(f"{restored.url}/sync/v1/batches", params={"after": 0, "limit": 1}, headers=hq).json()
        assert sealed["last_batch_seq"] > hq_cursor
        assert "new epoch" in _pull(stores, warehouse)
        status = httpx.get(f"{restored.url}/sync/v1/status", headers=hq).json()
    assert status["unacked_batches"] == 0 and status["unsealed_events"] == 0

    with sqlite3.connect(restored_dir / "store.db") as conn:
        outbox = {r[0] for r in conn.execute("SELECT event_id FROM outbox")}
        sold = {r[0] for r in conn.execute("SELECT sale_id FROM sales")}
    with sqlite3.connect(warehouse) as conn:
        at_hq = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT event_id, type, payload FROM events WHERE store_id = 'bk-001'")}
        new_epoch_batches = conn.execute(
            "SELECT batch_seq, first_seq, last_seq FROM batches WHERE store_id = 'bk-001' AND epoch_id = ? "
            "ORDER BY batch_seq", (status["epoch_id"],)).fetchall()
    assert outbox <= set(at_hq)  # no gap: every event the restored store has reached HQ
    sales_at_hq = Counter(json.loads(payload)["sale_id"] for kind, payload in at_hq.values()
                          if kind == "sale.completed")
    assert max(sales_at_hq.values()) == 1  # no duplicate: each sale once, however many times it was sealed
    assert sold <= set(sales_at_hq)
    # the new epoch's batches follow one another, and so do their events
    assert [b[0] for b in new_epoch_batches] == list(range(new_epoch_batches[0][0], new_epoch_batches[-1][0] + 1))
    assert all(b[1] == a[2] + 1 for a, b in zip(new_epoch_batches, new_epoch_batches[1:], strict=False))

