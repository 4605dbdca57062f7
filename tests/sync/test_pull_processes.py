"""HQ pulls real edge processes: every event at HQ exactly once, whatever breaks on the way."""

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter

from edge.store.connection import open_database
from sync import settings

from harness import FaultyProxy, always, cli, hq_event_ids, once, sell, write_stores


def pull(chain, *extra: str, stores=None):  # noqa: ANN001, ANN201
    return cli("hq", "pull", "--stores", str(stores or chain.stores_file), "--warehouse", str(chain.warehouse),
               "--quiet", "--attempts", "3", *extra)


def pull_through(chain, edge, rule, *extra: str):  # noqa: ANN001, ANN201
    """Pull one store through a FaultyProxy with `rule`; the stores file points at the store again after."""
    with FaultyProxy(edge.port, rule) as proxy:
        write_stores(chain.stores_file, [edge.entry.__class__(**{**_fields(edge.entry), "url": proxy.url})])
        done = pull(chain, *extra)
    write_stores(chain.stores_file, [edge.entry])
    return done, proxy


def failing_pull(chain, store_id: str, sales: int, rule, reason: str):  # noqa: ANN001, ANN201
    """A store with some sales, pulled through a fault that makes its pull fail for `reason`."""
    edge = chain.edge(store_id)
    sell(edge, sales)
    done, _ = pull_through(chain, edge, rule)
    assert "1 failed" in done.stdout and store_id in done.stderr and reason in done.stderr, done.stdout + done.stderr
    return edge


def assert_exactly_once(chain, edge) -> None:  # noqa: ANN001
    at_hq = hq_event_ids(chain.warehouse, edge.store_id)
    assert len(at_hq) == len(set(at_hq))
    assert set(at_hq) == edge.outbox_ids()


def test_several_stores_pulled_at_once_land_at_hq_exactly_once_and_are_acknowledged(chain):
    edges = [chain.edge(f"s{n}") for n in range(3)]
    for n, e in enumerate(edges):
        sell(e, 4 + n)
    write_stores(chain.stores_file, [e.entry for e in edges])
    done = pull(chain)
    assert done.returncode == 0, done.stderr
    assert "3 stores" in done.stdout and "0 failed" in done.stdout
    for e in edges:
        assert_exactly_once(chain, e)
        st = e.status()
        assert st["acked_through"] == st["last_batch_seq"] >= 1 and st["unacked_batches"] == 0
    again = pull(chain)
    assert "(0 new)" in again.stdout
    with sqlite3.connect(chain.warehouse) as conn:
        sales = dict(conn.execute("SELECT store_id, count(*) FROM events WHERE type = 'sale.completed' "
                                  "GROUP BY store_id"))
    assert sales == {"s0": 4, "s1": 5, "s2": 6}  # per-store counts equal the edge's own


def test_a_connection_cut_in_the_middle_of_a_batch_body_is_retried_and_nothing_is_lost_or_doubled(chain):
    edge = chain.edge("cut")
    sell(edge, 6)
    done, proxy = pull_through(chain, edge, once("cut", "GET", "/sync/v1/batches/1"))
    assert done.returncode == 0 and "0 failed" in done.stdout, done.stdout + done.stderr
    assert [a for _, _, a in proxy.seen].count("cut") == 1
    assert_exactly_once(chain, edge)


def test_a_cut_body_with_no_retries_left_ingests_nothing_and_the_next_pull_resumes(chain):
    edge = failing_pull(chain, "cut2", 3, always("cut", "GET", "/sync/v1/batches/1"), "batches/1")
    assert hq_event_ids(chain.warehouse, "cut2") == []
    status = cli("hq", "status", "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse), "--json")
    assert '"last_error":' in status.stdout and '"last_error":null' not in status.stdout
    assert "0 failed" in pull(chain).stdout
    assert_exactly_once(chain, edge)


def test_an_edge_killed_between_seal_and_ack_resumes_with_every_event_once(chain):
    edge = failing_pull(chain, "kill", 5, always("drop", "POST", "/sync/v1/ack"), "ack")
    edge.kill()  # sealed and ingested at HQ, never acknowledged at the store
    edge.start()
    assert edge.status()["unacked_batches"] >= 1
    sell(edge, 3, prefix="after")
    assert "0 failed" in pull(chain).stdout
    assert_exactly_once(chain, edge)
    assert edge.status()["unacked_batches"] == 0


def test_two_pullers_at_once_on_the_same_store_duplicate_nothing(chain):
    edges = [chain.edge(f"two{n}") for n in range(2)]
    for e in edges:
        sell(e, 12)
    write_stores(chain.stores_file, [e.entry for e in edges])
    args = [sys.executable, "-m", "edge.cli", "hq", "pull", "--stores", str(chain.stores_file), "--warehouse",
            str(chain.warehouse), "--quiet", "--page", "1"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    for e in edges:
        assert_exactly_once(chain, e)
        assert e.status()["unacked_batches"] == 0


def test_acks_that_time_out_duplicate_nothing_and_no_unacknowledged_event_is_pruned(chain):
    edge = chain.edge("slowack", start=False)
    db = open_database(edge.data_dir / "store.db")  # prune acknowledged batches at once
    with db.atomic():
        settings.save(db.conn, settings.SyncSettings(retention_hours=0, batch_max_events=4))
    db.conn.close()
    edge.start()
    sell(edge, 6)
    before = edge.outbox_ids()
    timed_out, _ = pull_through(chain, edge, always("hold", "POST", "/sync/v1/ack"), "--ack-timeout", "0.5",
                                "--attempts", "1")
    assert "1 failed" in timed_out.stdout and "ack" in timed_out.stderr
    at_hq = hq_event_ids(chain.warehouse, "slowack")
    assert len(at_hq) == len(set(at_hq)) and set(at_hq) >= before  # sealing added a join_rate.daily too
    # the held ack reached the store: what it acknowledged may go, nothing else may
    st = edge.status()
    remaining = edge.outbox_ids()
    with edge.db() as conn:
        unacked = {r[0] for r in conn.execute(
            "SELECT o.event_id FROM outbox o JOIN sync_batches b ON o.seq BETWEEN b.first_seq AND b.last_seq "
            "WHERE b.acked_at IS NULL")}
    assert unacked <= remaining and st["outbox_depth"] == len(remaining)
    assert remaining <= set(at_hq)
    assert "0 failed" in pull(chain).stdout
    again = hq_event_ids(chain.warehouse, "slowack")
    assert Counter(again).most_common(1)[0][1] == 1 and set(again) >= before
    assert edge.status()["unacked_batches"] == 0


def test_a_tampered_batch_body_is_refused_and_nothing_of_it_is_ingested(chain):
    edge = failing_pull(chain, "tamper", 3, always("plain+flip", "GET", "/sync/v1/batches/"), "sha256")
    assert hq_event_ids(chain.warehouse, "tamper") == []
    assert edge.status()["unacked_batches"] == 1


def test_a_batch_signed_with_another_key_is_refused(chain):
    edge = chain.edge("wrongkey")
    sell(edge, 2)
    forged = edge.entry.__class__(**{**_fields(edge.entry), "sync_key": "00" * 32})
    write_stores(chain.stores_file, [forged])
    refused = pull(chain)
    assert "1 failed" in refused.stdout and "signature" in refused.stderr
    assert hq_event_ids(chain.warehouse, "wrongkey") == []


def test_a_failing_store_never_stops_the_others(chain):
    good = chain.edge("good")
    sell(good, 2)
    dead = good.entry.__class__(**{**_fields(good.entry), "store_id": "dead", "url": "http://127.0.0.1:9"})
    write_stores(chain.stores_file, [dead, good.entry])
    done = pull(chain, "--attempts", "2")
    assert "1 failed" in done.stdout and "dead" in done.stderr
    assert_exactly_once(chain, good)


def _events_so_far(path, store_id: str) -> int:  # noqa: ANN001
    try:
        return len(hq_event_ids(path, store_id))
    except sqlite3.OperationalError:  # the puller has not made its tables yet
        return 0


def _fields(entry) -> dict:  # noqa: ANN001
    return {f: getattr(entry, f) for f in entry.__struct_fields__}


def test_a_puller_killed_in_the_middle_resumes_from_its_cursor_with_every_event_once(chain):
    edge = chain.edge("interrupted", start=False)
    db = open_database(edge.data_dir / "store.db")  # many small batches, so the kill lands between them
    with db.atomic():
        settings.save(db.conn, settings.SyncSettings(batch_max_events=1))
    db.conn.close()
    edge.start()
    sell(edge, 40)
    write_stores(chain.stores_file, [edge.entry])
    args = [sys.executable, "-m", "edge.cli", "hq", "pull", "--stores", str(chain.stores_file), "--warehouse",
            str(chain.warehouse), "--quiet", "--page", "1"]
    puller = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _events_so_far(chain.warehouse, "interrupted") < 5:
        assert time.monotonic() < deadline and puller.poll() is None, "the puller ended before it could be killed"
        time.sleep(0.02)
    puller.send_signal(signal.SIGKILL)
    puller.wait(timeout=10)
    partial = hq_event_ids(chain.warehouse, "interrupted")
    assert 5 <= len(partial) < len(edge.outbox_ids())
    assert "0 failed" in pull(chain).stdout
    assert_exactly_once(chain, edge)
    assert edge.status()["unacked_batches"] == 0


def test_sales_during_pulls_are_all_at_hq_exactly_once_after_the_next_pull(chain):
    edge = chain.edge("busy")
    write_stores(chain.stores_file, [edge.entry])
    stop = threading.Event()
    made = []

    def till() -> None:  # a lane selling while HQ pulls, bounded
        n = 0
        while not stop.is_set() and n < 300:
            made.append(sell(edge, 1, joins=0, prefix=f"busy{n}"))
            n += 1

    lane = threading.Thread(target=till)
    lane.start()
    try:
        for _ in range(3):
            assert "0 failed" in pull(chain, "--page", "1").stdout
    finally:
        stop.set()
        lane.join(timeout=60)
    assert "0 failed" in pull(chain).stdout
    assert_exactly_once(chain, edge)
    with sqlite3.connect(chain.warehouse) as conn:
        sales = conn.execute("SELECT count(*) FROM events WHERE store_id = 'busy' AND type = 'sale.completed'"
                             ).fetchone()[0]
    assert sales == len(made) > 0
