"""Sync benchmark: figures beside floors measured in the same run (not a test; run it by hand).

    python bench/sync_bench.py            quick: 50k events edge/ingest, 1,000 stores x one day
    python bench/sync_bench.py --full     20,000 stores x one day (target: caught up in under 10 minutes)

1. Edge seal + serve: events sealed into signed gzip batches by the real code, then served over
   real HTTP (uvicorn on 127.0.0.1) and fetched; floor: raw sqlite3 executemany of the same rows.
2. HQ ingest: the real warehouse ingest (inbox insert + batch + cursor + derived tables, one
   transaction per batch); floor: raw executemany of the same rows into the same table shape,
   one transaction per batch. Target: at least 50% of the floor.
3. Many stores: a farm process serves N stores' days (each store's batches signed with its own
   key; bodies built once from one synthetic day, since only (store, event id) must be unique),
   and the real puller catches them all up into a fresh warehouse: total time and events/s.
"""

import argparse
import hashlib
import logging
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.domain.clock import iso  # noqa: E402
from edge.domain.ids import uuid7  # noqa: E402
from sync import batches  # noqa: E402
from sync.hq import warehouse  # noqa: E402
from sync.hq.puller import PullOptions, pull  # noqa: E402
from sync.hq.stores import StoreEntry  # noqa: E402
from sync.wire import BatchHeader, batch_signature  # noqa: E402

DAY_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
SKUS = [("AMERICANO", 2200), ("LATTE", 2800), ("CROISSANT", 1500), ("EGG-TART", 900), ("CHEESECAKE", 3800)]


def synthetic_day(sales: int, rng: random.Random, store_id: str = "bench-001") -> list[tuple]:
    """(event_id, type, occurred_at, payload) rows shaped like the edge's own events, for one store-day."""
    rows = []
    members: list[str] = []
    for n in range(sales):
        at = iso(DAY_START + timedelta(seconds=n * 50000 // max(sales, 1)))
        member_id = None
        if rng.random() < 0.07:
            member_id = uuid7()
            members.append(member_id)
            rows.append((uuid7(), "member.joined", at, msgspec.json.encode({
                "member_id": member_id, "store_id": store_id, "joined_at": at, "source": "cashier", "lane_id": "L1",
                "cashier_id": "C1", "checkout_id": f"co-{n}", "standee_id": None, "receipt_sale_id": None,
                "referrer_id": None, "tier_id": "regular", "phone_hash": hashlib.sha256(member_id.encode()).hexdigest(),
                "phone_masked": "139****0001", "birthday": None,
                "consent": {"marketing": True, "payment_link": False}})))
        elif members and rng.random() < 0.3:
            member_id = rng.choice(members)
        lines = [{"sku": s, "qty": 1, "unit_price_fen": p, "discount_fen": 0, "total_fen": p}
                 for s, p in rng.sample(SKUS, rng.randint(1, 3))]
        total = sum(x["total_fen"] for x in lines)
        rows.append((uuid7(), "sale.completed", at, msgspec.json.encode({
            "sale_id": f"{store_id}-{n}", "store_id": store_id, "business_day": "2026-11-23", "created_at": at,
            "lane_id": "L1", "cashier_id": "C1", "checkout_id": None, "member_id": member_id,
            "recognised_by_payer": False, "lines": lines, "subtotal_fen": total, "discount_fen": 0,
            "total_fen": total, "applied": [], "points_earned": total // 100 if member_id else 0,
            "payment_method": "wechat_pay", "payment_provider": "wechat", "payer_hash": None,
            "nonmember_at_start": member_id is None, "joined_source": None})))
        if member_id:
            rows.append((uuid7(), "points.entry", at, msgspec.json.encode({
                "entry_id": uuid7(), "member_id": member_id, "kind": "accrue", "points": total // 100,
                "sale_id": f"{store_id}-{n}"})))
    rows.append((uuid7(), "join_rate.daily", iso(DAY_START + timedelta(hours=20)), msgspec.json.encode({
        "store_id": store_id, "revision": 1, "business_day": "2026-11-23", "transactions": sales,
        "nonmember_transactions": sales, "joins": len(members), "joins_by_source": {"cashier": len(members)},
        "join_rate_bps": 0})))
    return rows


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} events/s"


# 1. edge: seal + serve --------------------------------------------------------------------------

def bench_edge(events: int, tmp: Path) -> list[tuple[BatchHeader, bytes]]:
    from edge.app import create_app
    from edge.services.runtime import StoreRuntime
    from edge.services.setup import demo_config, init_store, seed_demo
    from edge.store import meta

    rng = random.Random(1)
    rows = []
    while len(rows) < events:
        rows += synthetic_day(300, rng)
    rows = rows[:events]
    data_dir = tmp / "edge"
    init_store(data_dir, demo_config())
    keys = seed_demo(data_dir)
    db = sqlite3.connect(data_dir / "store.db", isolation_level=None)
    db.execute("PRAGMA synchronous = FULL")
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO outbox (event_id, type, occurred_at, payload) VALUES (?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    key = meta.get_secret(db, "sync_key")

    floor_db = sqlite3.connect(tmp / "floor-edge.db", isolation_level=None)
    floor_db.execute("PRAGMA journal_mode = WAL")
    floor_db.execute("PRAGMA synchronous = FULL")
    floor_db.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, "
                     "type TEXT NOT NULL, occurred_at TEXT NOT NULL, payload BLOB NOT NULL)")
    t = time.perf_counter()
    floor_db.execute("BEGIN IMMEDIATE")
    floor_db.executemany("INSERT INTO outbox (event_id, type, occurred_at, payload) VALUES (?, ?, ?, ?)", rows)
    floor_db.execute("COMMIT")
    floor = time.perf_counter() - t

    t = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    sealed = batches.seal_pending(db, "demo-001", key, datetime.now(UTC), max_events=1000)
    db.execute("COMMIT")
    seal_s = time.perf_counter() - t
    db.close()

    store = StoreRuntime(data_dir)
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    fetched: list[tuple[BatchHeader, bytes]] = []
    auth = {"Authorization": f"Bearer {keys['hq']}", "Accept-Encoding": "gzip"}
    t = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth) as client:
        listing = client.get("/sync/v1/batches", params={"limit": 1000}).json()
        for h in listing["batches"]:
            body = client.get(f"/sync/v1/batches/{h['batch_seq']}").content
            fetched.append((msgspec.convert(h, BatchHeader), body))
    serve_s = time.perf_counter() - t
    server.should_exit = True
    thread.join()
    store.close()
    print(f"edge: {events:,} events in {len(sealed)} batches")
    print(f"  floor  raw executemany (sync=FULL)   {rate(events, floor)}")
    print(f"  seal   (encode, sha256, HMAC, gzip)  {rate(events, seal_s)}   {floor / seal_s:.0%} of floor")
    print(f"  serve  (HTTP, gzip, one client)      {rate(events, serve_s)}")
    print(f"  seal + serve                         {rate(events, seal_s + serve_s)}   "
          f"{floor / (seal_s + serve_s):.0%} of floor")
    return fetched


# 2. HQ ingest -----------------------------------------------------------------------------------

def bench_ingest(fetched: list[tuple[BatchHeader, bytes]], tmp: Path) -> None:
    decoded = [(h, warehouse.decode_events(b)) for h, b in fetched]
    events = sum(len(e) for _, e in decoded)
    floor_db = sqlite3.connect(tmp / "floor-hq.db", isolation_level=None)
    floor_db.execute("PRAGMA journal_mode = WAL")
    floor_db.execute("PRAGMA synchronous = NORMAL")
    floor_db.executescript(warehouse.SCHEMA)
    t = time.perf_counter()
    for _, evs in decoded:
        floor_db.execute("BEGIN")
        floor_db.executemany("INSERT INTO events (store_id, event_id, type, occurred_at, seq, payload) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             [("demo-001", e.event_id, e.type, e.occurred_at, e.seq, bytes(e.payload).decode())
                              for e in evs])
        floor_db.execute("COMMIT")
    floor = time.perf_counter() - t
    conn = warehouse.connect(tmp / "hq.db")
    now = datetime.now(UTC)
    t = time.perf_counter()
    for h, evs in decoded:
        warehouse.ingest_batch(conn, "demo-001", h.epoch_id, h, evs, now)
    ingest = time.perf_counter() - t
    t = time.perf_counter()
    for h, body in fetched:  # a batch pulled twice: everything ignored
        warehouse.ingest_batch(conn, "demo-001", "other-epoch", h, warehouse.decode_events(body), now)
    again = time.perf_counter() - t
    print(f"hq ingest: {events:,} events in {len(decoded)} batches (one transaction each)")
    print(f"  floor  raw executemany (same table)  {rate(events, floor)}")
    print(f"  ingest (inbox, batch, cursor, derived){rate(events, ingest)}   {floor / ingest:.0%} of floor"
          f"   (target >= 50%)")
    print(f"  re-ingest of the same batches        {rate(events, again)}   (all ignored)")


# 3. many stores -----------------------------------------------------------------------------------

def store_key(store_id: str) -> bytes:
    return hashlib.sha256(b"bench-sync-key|" + store_id.encode()).digest()


def farm_app(template: list[tuple[int, int, int, str, bytes, str]]):  # noqa: ANN201
    """An ASGI app serving /s/{store}/sync/v1/... for any store id from one day's sealed batches."""
    acked: dict[str, int] = {}
    last = len(template)
    enc = msgspec.json.Encoder()

    def header(store_id: str, n: int) -> dict:
        first, lastseq, count, sha, _, oldest = template[n - 1]
        epoch = "epoch-" + store_id
        return {"store_id": store_id, "epoch_id": epoch, "batch_seq": n, "first_seq": first, "last_seq": lastseq,
                "count": count, "sha256": sha, "oldest_at": oldest, "sealed_at": oldest,
                "signature": batch_signature(store_key(store_id), store_id, epoch, n, first, lastseq, count, sha)}

    async def app(scope, receive, send):  # noqa: ANN001, ANN202
        if scope["type"] != "http":
            return
        parts = scope["path"].split("/")  # ['', 's', store, 'sync', 'v1', ...]
        store_id, rest = parts[2], parts[5:]
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = [(b"content-type", b"application/json")]
        if rest == ["batches"]:
            q = dict(x.split("=", 1) for x in scope["query_string"].decode().split("&") if "=" in x)
            after, limit = int(q.get("after", 0)), int(q.get("limit", 100))
            out = enc.encode({"store_id": store_id, "epoch_id": "epoch-" + store_id, "epoch_first_batch_seq": 1,
                              "last_batch_seq": last, "acked_through": acked.get(store_id, 0),
                              "batches": [header(store_id, n) for n in range(after + 1, min(last, after + limit) + 1)]})
        elif rest[0] == "batches":
            n = int(rest[1])
            h = header(store_id, n)
            out = template[n - 1][4]
            headers = [(b"content-type", b"application/x-ndjson"), (b"content-encoding", b"gzip"),
                       (b"x-body-sha256", h["sha256"].encode())]
        else:
            through = msgspec.json.decode(body)["through_batch_seq"]
            acked[store_id] = max(acked.get(store_id, 0), through)
            out = enc.encode({"epoch_id": "epoch-" + store_id, "acked_through": acked[store_id], "newly_acked": 1,
                              "pruned_events": 0})
        headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return app


def run_farm(port: int, sales: int, ready) -> None:  # noqa: ANN001
    import socket

    import uvicorn

    sock = socket.create_server(("127.0.0.1", port), backlog=4096)  # listening before "ready": no polling

    rows = synthetic_day(sales, random.Random(7))
    template = []
    for i in range(0, len(rows), 1000):
        chunk = [(i + k + 1, *r) for k, r in enumerate(rows[i:i + 1000])]
        body = batches.encode_lines(chunk)
        template.append((chunk[0][0], chunk[-1][0], len(chunk), hashlib.sha256(body).hexdigest(),
                         batches.gzip_fixed(body), min(r[3] for r in chunk)))
    ready.put(sum(t[2] for t in template))
    uvicorn.run(farm_app(template), fd=sock.fileno(), log_level="warning", access_log=False)


def bench_many(stores: int, sales: int, concurrency: int, tmp: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    port = _free_port()
    farm = ctx.Process(target=run_farm, args=(port, sales, ready), daemon=True)
    farm.start()
    per_store = ready.get(timeout=300)
    entries = [StoreEntry(store_id=f"st{n:05d}", url=f"http://127.0.0.1:{port}/s/st{n:05d}", key="bench",
                          sync_key=store_key(f"st{n:05d}").hex()) for n in range(stores)]
    conn = warehouse.connect(tmp / "many.db")
    t = time.perf_counter()
    report = pull(conn, entries, PullOptions(concurrency=concurrency, page=100))
    took = time.perf_counter() - t
    total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    farm.terminate()
    farm.join()
    failed = len(report.failed)
    print(f"many stores: {stores:,} stores x one day ({sales} sales, {per_store} events per store), "
          f"concurrency {concurrency}")
    print(f"  caught up {total:,} events in {took:,.1f} s: {rate(total, took)}, {failed} stores failed"
          + (f" (first: {report.failed[0].error})" if failed else ""))
    print(f"  target for 20,000 stores: under 600 s; at this rate 20,000 stores would take "
          f"{20000 * per_store / (total / took):,.0f} s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="20,000 stores x one day")
    ap.add_argument("--stores", type=int, help="stores in the simulation (quick 1,000; full 20,000)")
    ap.add_argument("--sales", type=int, default=300, help="sales per store-day")
    ap.add_argument("--events", type=int, default=50_000, help="events for the edge and ingest figures")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--skip-edge", action="store_true")
    args = ap.parse_args()
    stores = args.stores or (20_000 if args.full else 1_000)
    for noisy in ("httpx", "store_edge"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_edge:
            fetched = bench_edge(args.events, tmp)
            bench_ingest(fetched, tmp)
        bench_many(stores, args.sales, args.concurrency, tmp)


if __name__ == "__main__":
    main()
