"""Pullers share a chain through the PostgreSQL warehouse: leases, a killed puller, exactly once.

The stores are simulated by `store_farm.py` (one process, every store's own key and events,
the real sync wire); the pullers are real `store-edge hq pull` processes.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from store_farm import sealed, store_id, store_key

from sync.hq.stores import StoreEntry, save_stores

from harness import free_port

FARM = Path(__file__).with_name("store_farm.py")
STORES, BATCHES, PER_BATCH = 300, 4, 25


@pytest.fixture
def farm():  # noqa: ANN201
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(FARM), str(port), str(STORES), str(BATCHES), str(PER_BATCH), "15"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # wait on the farm answering, bounded
        try:
            if httpx.get(f"{url}/acks", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "the store farm did not start"
        time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _puller(stores_file: Path, dsn: str, name: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "edge.cli", "hq", "pull", "--stores", str(stores_file),
                             "--warehouse", dsn, "--quiet", "--puller-id", name, "--lease-seconds", "3",
                             "--concurrency", "4", "--page", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _one(dsn: str, sql: str, params: tuple = ()):  # noqa: ANN202
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def test_three_pullers_one_killed_midway_ingest_every_batch_exactly_once(farm, pg_dsn, tmp_path):
    stores_file = tmp_path / "stores.json"
    save_stores(stores_file, [StoreEntry(store_id=store_id(n), url=f"{farm}/s/{store_id(n)}", key="k",
                                         sync_key=store_key(store_id(n)).hex()) for n in range(STORES)])
    pullers = {name: _puller(stores_file, pg_dsn, name) for name in ("a", "b", "c")}

    deadline = time.monotonic() + 120
    while True:  # kill "a" midway: it has finished some stores and holds leases on others
        try:
            done_by_a = _one(pg_dsn, "SELECT count(*) FROM stores WHERE last_pulled_by = 'a'")[0][0]
            held = _one(pg_dsn, "SELECT store_id, lease_expires_at FROM stores WHERE lease_holder = 'a'")
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
            done_by_a, held = 0, []
        if done_by_a >= 5 and held:
            break
        assert time.monotonic() < deadline and pullers["a"].poll() is None, "puller a ended before the kill"
        time.sleep(0.02)
    pullers["a"].send_signal(signal.SIGKILL)
    pullers["a"].wait(timeout=10)
    held = _one(pg_dsn, "SELECT store_id, lease_expires_at FROM stores WHERE lease_holder = 'a'")
    total = _one(pg_dsn, "SELECT count(*) FROM stores WHERE last_pulled_at IS NOT NULL")[0][0]
    assert held and total < STORES, "the kill did not land midway"

    outs = {name: pullers[name].communicate(timeout=180) for name in ("b", "c")}
    for name in ("b", "c"):
        assert pullers[name].returncode == 0, outs[name]
        assert "0 failed" in outs[name][0], outs[name]

    # the Kafka-style oracle: what HQ has against what the stores sealed
    at_hq = _one(pg_dsn, "SELECT store_id, event_id FROM events")
    expected = sealed(STORES, BATCHES, PER_BATCH)
    assert len(at_hq) == len(set(at_hq)), "an event was ingested twice"
    assert expected - set(at_hq) == set(), "missing"
    assert set(at_hq) - expected == set(), "extra"
    cursors = _one(pg_dsn, "SELECT count(*) FROM stores WHERE through_batch_seq = %s AND event_count = %s",
                   (BATCHES, BATCHES * PER_BATCH))[0][0]
    assert cursors == STORES
    acks = httpx.get(f"{farm}/acks").json()
    assert len(acks) == STORES and set(acks.values()) == {BATCHES}  # every store acknowledged to the end

    # the killed puller's stores went to the others, each only after a's lease on it had expired
    for sid, expired_at in held:
        by, taken_at = _one(pg_dsn, "SELECT last_pulled_by, lease_taken_at FROM stores WHERE store_id = %s",
                            (sid,))[0]
        assert by in ("b", "c") and taken_at >= expired_at, (sid, by, taken_at, expired_at)
        assert any(f"{sid}: taken over from a" in outs[n][0] for n in ("b", "c"))
    assert _one(pg_dsn, "SELECT count(*) FROM stores WHERE lease_holder IS NOT NULL")[0][0] == 0
    assert _one(pg_dsn, "SELECT sum(joins) FROM hq_join_rate_chain")[0][0] == STORES
