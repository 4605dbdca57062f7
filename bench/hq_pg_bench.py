"""HQ on PostgreSQL: ingest beside a plain COPY of the same rows, and many stores with 1, 2 and 4 pullers.

    python bench/hq_pg_bench.py                 quick: 100k events ingest; 1,000 stores x one day
    python bench/hq_pg_bench.py --full          20,000 stores x one day (target: under 600 s with 4 pullers)

Starts its own throwaway PostgreSQL cluster (Debian's server, a unix socket, the server's default
durability: fsync on, synchronous_commit on), so nothing here depends on a running service.

1. Ingest: the real `PostgresWarehouse.ingest_batch` (COPY into the staging table, one
   INSERT ... ON CONFLICT DO NOTHING into the day-partitioned inbox, the batch row, the cursor and
   derived tables, one transaction per 1,000-event batch); floor: one plain COPY per batch of the
   same rows into an unpartitioned table of the same columns and key, one transaction per batch.
   Rounds interleave floor and ingest (fresh tables each round); medians. Target: >= 50% of the floor.
2. Many stores: the farm of bench/sync_bench.py (one process serving every store's batches, each
   signed with that store's key, over the real sync wire) and N puller processes sharing the
   stores through the warehouse's leases, into a fresh database each time.
"""

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "sync"))

import psycopg  # noqa: E402
from pg_cluster import Cluster  # noqa: E402

from bench.sync_bench import _free_port, run_farm, store_key, synthetic_day  # noqa: E402
from sync import batches  # noqa: E402
from sync.hq import warehouse  # noqa: E402
from sync.hq.puller import PullOptions, pull  # noqa: E402
from sync.hq.stores import StoreEntry  # noqa: E402
from sync.hq.warehouse.postgres import copy_text  # noqa: E402
from sync.wire import BatchHeader  # noqa: E402


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} events/s"


def make_batches(events: int) -> list[tuple[BatchHeader, list[warehouse.Event]]]:
    """Sealed-then-decoded batches of 1,000 events, as the puller hands them to the warehouse."""
    rng = random.Random(3)
    rows: list[tuple] = []
    while len(rows) < events:
        rows += synthetic_day(300, rng)
    rows = rows[:events]
    out = []
    for i in range(0, len(rows), 1000):
        chunk = [(i + k + 1, *r) for k, r in enumerate(rows[i:i + 1000])]
        body = batches.encode_lines(chunk)
        evs = warehouse.decode_events(body)
        out.append((BatchHeader(store_id="bench-001", epoch_id="E", batch_seq=i // 1000 + 1, first_seq=chunk[0][0],
                                last_seq=chunk[-1][0], count=len(chunk), sha256="-", signature="-", oldest_at="-",
                                sealed_at="-"), evs))
    return out


FLOOR_TABLE = ("CREATE TABLE floor_events (store_id text NOT NULL DEFAULT 'bench-001', event_id text NOT NULL, "
               "type text NOT NULL, "
               "occurred_at timestamptz NOT NULL, seq bigint NOT NULL, payload text NOT NULL, "
               "PRIMARY KEY (store_id, event_id))")


def floor_round(dsn: str, decoded: list) -> float:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # as the warehouse's own connection
        conn.execute("DROP TABLE IF EXISTS floor_events")
        conn.execute(FLOOR_TABLE)
        t = time.perf_counter()
        for _, evs in decoded:  # the same bytes the warehouse sends to its staging table
            with conn.transaction(), conn.cursor() as cur, \
                    cur.copy("COPY floor_events (event_id, type, occurred_at, seq, payload) FROM STDIN") as cp:
                cp.write(copy_text(evs))
        return time.perf_counter() - t


def ingest_round(cluster: Cluster, decoded: list) -> tuple[float, int]:
    dsn = cluster.database("ingest")
    wh = warehouse.open_warehouse(dsn)
    now = datetime.now(UTC)
    wh.prepare(now)
    t = time.perf_counter()
    new = sum(wh.ingest_batch("bench-001", "E", h, evs, now) for h, evs in decoded)
    took = time.perf_counter() - t
    wh.close()
    return took, new


def bench_ingest(cluster: Cluster, events: int, rounds: int) -> None:
    decoded = make_batches(events)
    n = sum(len(e) for _, e in decoded)
    floor_dsn = cluster.database("floor")
    floors, ingests = [], []
    for r in range(rounds):
        if r % 2:
            ingests.append(ingest_round(cluster, decoded)[0])
            floors.append(floor_round(floor_dsn, decoded))
        else:
            floors.append(floor_round(floor_dsn, decoded))
            took, new = ingest_round(cluster, decoded)
            assert new == n, (new, n)
            ingests.append(took)
    floor, ingest = statistics.median(floors), statistics.median(ingests)
    print(f"ingest into PostgreSQL: {n:,} events in {len(decoded)} batches, {rounds} interleaved rounds (medians)")
    print(f"  floor  plain COPY, same rows and key     {rate(n, floor)}")
    print(f"  ingest (COPY staging, INSERT ON CONFLICT,{rate(n, ingest)}   {floor / ingest:.0%} of floor"
          "   (target >= 50%)")
    print("         batch, cursor, derived)")
    ratios = [f / i for f, i in zip(floors, ingests, strict=True)]
    print(f"  per round (ingest / its own round's floor): {', '.join(f'{r:.0%}' for r in ratios)}; "
          f"median {statistics.median(ratios):.0%}")
    print(f"  rounds: floor {', '.join(f'{n / x:,.0f}' for x in floors)}; "
          f"ingest {', '.join(f'{n / x:,.0f}' for x in ingests)}")


def run_puller(dsn: str, entries: list[StoreEntry], concurrency: int, name: str, out) -> None:  # noqa: ANN001
    wh = warehouse.open_warehouse(dsn)
    report = pull(wh, entries, PullOptions(concurrency=concurrency, page=100, holder=name))
    out.put((name, len(report.results), len(report.failed), sum(r.new_events for r in report.results),
             report.failed[0].error if report.failed else None))
    wh.close()


def bench_many(cluster: Cluster, stores: int, sales: int, pullers_list: list[int], concurrency: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    port = _free_port()
    farm = ctx.Process(target=run_farm, args=(port, sales, ready), daemon=True)
    farm.start()
    per_store = ready.get(timeout=300)
    entries = [StoreEntry(store_id=f"st{n:05d}", url=f"http://127.0.0.1:{port}/s/st{n:05d}", key="bench",
                          sync_key=store_key(f"st{n:05d}").hex()) for n in range(stores)]
    print(f"many stores: {stores:,} stores x one day ({sales} sales, {per_store} events per store, "
          f"{stores * per_store:,} events), concurrency {concurrency} per puller")
    try:
        for n in pullers_list:
            dsn = cluster.database(f"many{n}")
            warehouse.open_warehouse(dsn).close()  # schema made before the pullers race to it
            out = ctx.Queue()
            procs = [ctx.Process(target=run_puller, args=(dsn, entries, concurrency, f"puller-{k}", out))
                     for k in range(n)]
            t = time.perf_counter()
            for p in procs:
                p.start()
            done = [out.get(timeout=3600) for _ in procs]
            took = time.perf_counter() - t
            for p in procs:
                p.join()
            with psycopg.connect(dsn) as conn:
                total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
                pulled = conn.execute("SELECT count(*) FROM stores WHERE through_batch_seq > 0").fetchone()[0]
            failed = sum(d[2] for d in done)
            split = ", ".join(f"{d[1]:,}" for d in sorted(done))
            print(f"  {n} puller{'s' if n > 1 else ' '}: {total:,} events in {took:,.1f} s: {rate(total, took)}; "
                  f"{pulled:,} stores at HQ (split {split}), {failed} failed"
                  + (f" (first: {next(d[4] for d in done if d[4])})" if failed else ""))
            print(f"             at this rate 20,000 stores would take {20000 * per_store / (total / took):,.0f} s "
                  "(target with 4 pullers: < 600 s)")
            with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{dsn.split("@/", 1)[1].split("?")[0]}"')
    finally:
        farm.terminate()
        farm.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="20,000 stores x one day")
    ap.add_argument("--stores", type=int, help="stores in the simulation (quick 1,000; full 20,000)")
    ap.add_argument("--sales", type=int, default=300, help="sales per store-day")
    ap.add_argument("--events", type=int, default=100_000, help="events for the ingest figure")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pullers", default="1,2,4")
    ap.add_argument("--concurrency", type=int, default=16, help="stores in flight per puller")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-many", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory():
        cluster = Cluster(durable=True, settings={"max_wal_size": "4GB"}).start()
        try:
            if not args.skip_ingest:
                bench_ingest(cluster, args.events, args.rounds)
            if not args.skip_many:
                bench_many(cluster, args.stores or (20_000 if args.full else 1_000), args.sales,
                           [int(x) for x in args.pullers.split(",")], args.concurrency)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
