"""SIGKILL during 8 lanes of joins, sales and redemptions against `store-edge serve`, a few times.

The oracle (tests/reliability.py): every sale answered 2xx is there once, stock, points and caps
agree with the sales, integrity holds; then HQ pulls every event of the store exactly once.
`STORE_EDGE_KILLS=N` (or bench/reliability.py) kills N times instead of KILLS.
"""

import asyncio
import os
import random
import sqlite3
import threading
import time

import httpx
from reliability import LoadResult, check_store, run_load, set_up_for_load

from harness import cli, hq_event_ids, write_stores

KILLS = int(os.environ.get("STORE_EDGE_KILLS", "3"))
LANES, SALES_PER_LANE = 8, 40


def load_in_background(url: str, lane_key: str, rng: random.Random, run: str) -> tuple[LoadResult, threading.Event,
                                                                                         threading.Thread]:
    """8 lanes over HTTP in a thread of their own; stop them with the returned event."""
    result = LoadResult()
    stopping = threading.Event()

    async def main() -> None:
        stop = asyncio.Event()

        async def relay() -> None:  # the test's stop (a thread's event) reaches the lanes' loop
            await asyncio.to_thread(stopping.wait)
            stop.set()

        limits = httpx.Limits(max_connections=LANES)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {lane_key}"}, timeout=10,
                                     limits=limits) as client:
            relayer = asyncio.create_task(relay())
            done = await run_load(client, LANES, SALES_PER_LANE, rng, run, stop)
            stopping.set()
            await relayer
        result.acked.update(done.acked)
        result.statuses.update(done.statuses)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    return result, stopping, thread


def wait_for(condition, seconds: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_sigkills_under_8_lanes_lose_no_answered_sale_and_hq_pulls_every_event_once(chain):
    edge = chain.edge("crash-001")
    with httpx.Client(base_url=edge.url, timeout=10) as c:
        set_up_for_load(c, edge.keys["manager"])
    rng = random.Random(1124)
    acked: dict[str, dict] = {}
    for kill in range(KILLS):
        # the load runs in its own thread and fills `acked` only when it ends: kill once the server
        # has written a random number of sales (read from the file, as HQ's puller would not)
        result, stopping, thread = load_in_background(edge.url, edge.keys["lane"], rng, f"k{kill}")
        target = rng.randint(10, LANES * SALES_PER_LANE // 2)
        wait_for(lambda t=target, th=thread: _sales_in(edge) >= t or not th.is_alive())
        edge.kill()
        stopping.set()
        thread.join(timeout=60)
        acked.update(result.acked)
        edge.start()
    # the last round runs to its end
    result, _, thread = load_in_background(edge.url, edge.keys["lane"], rng, "final")
    thread.join(timeout=120)
    acked.update(result.acked)
    assert len(acked) > LANES * SALES_PER_LANE // 2

    write_stores(chain.stores_file, [edge.entry])
    pulled = cli("hq", "pull", "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse), "--quiet",
                 "--attempts", "3")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    at_hq = hq_event_ids(chain.warehouse, edge.store_id)
    edge.stop()

    verdict = check_store(edge.data_dir / "store.db", acked)
    assert verdict.ok, verdict
    assert len(at_hq) == len(set(at_hq)), "an event reached HQ twice"
    assert set(at_hq) == edge.outbox_ids(), "HQ is missing events or has foreign ones"
    print(f"\ncrash: {KILLS} kills, {len(acked)} sales answered 2xx, lost 0, duplicated 0, "
          f"{len(at_hq)} events at HQ once each")


def _sales_in(edge) -> int:  # noqa: ANN001
    try:
        conn = edge.db()
        try:
            return conn.execute("SELECT count(*) FROM sales").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # the file is being recovered after a kill: ask again
        return 0
