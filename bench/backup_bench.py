"""Backups while 8 lanes sell: how long a backup of a store takes, and what it does to the tills.

    python bench/backup_bench.py [--sales 20000] [--seconds 6] [--rounds 3]

Fills a store with `--sales` sales (through the real sale service), serves it with `store-edge serve`,
and drives 8 lanes of sales over HTTP. Each round measures the lanes for `--seconds` without a backup,
then for `--seconds` with backups taken back to back; it prints the backup's time and size, and the
sale latency (median, p99) and throughput with and without, as ratios within the round (this
machine is shared: absolute figures move between runs, ratios in one run hold).
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "deploy"))

from edge.schemas import SaleIn  # noqa: E402
from edge.services import sales  # noqa: E402
from edge.services.runtime import StoreRuntime  # noqa: E402
from edge.services.setup import demo_config, init_store, seed_demo  # noqa: E402

from ops_support import Served  # noqa: E402

LANES = 8


def fill(data_dir: Path, count: int) -> None:
    store = StoreRuntime(data_dir)

    async def run() -> None:
        for start in range(0, count, 500):
            await asyncio.gather(*(sales.record_sale(store, msgspec.convert({
                "sale_id": f"seed-{n}", "lane_id": f"L{n % LANES}", "cashier_id": "C1",
                "lines": [{"sku": "LATTE", "qty": 1}, {"sku": "AMERICANO", "qty": 1}],
                "payment": {"method": "cash"}}, SaleIn)) for n in range(start, min(start + 500, count))))

    try:
        asyncio.run(run())
    finally:
        store.close()


def drive(url: str, key: str, seconds: float, tag: str) -> tuple[list[float], int]:
    """8 lanes selling for `seconds`; (latencies in ms, sales answered)."""
    stop = threading.Event()
    latencies: list[float] = []
    lock = threading.Lock()

    def lane(n: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            i = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                r = client.post("/api/v1/sales", json={
                    "sale_id": f"{tag}-L{n}-{i}", "lane_id": f"L{n}", "cashier_id": "C1",
                    "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}})
                assert r.status_code == 201, r.text
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
                i += 1

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(LANES)]
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    return latencies, len(latencies)


def _backups(data_dir: Path, dest: Path, stop: threading.Event, took: list[float]) -> None:
    """`store-edge backup` back to back until `stop`; each one's own time (as it prints it) into `took`."""
    while not stop.is_set():
        done = subprocess.run([sys.executable, "-m", "edge.cli", "backup", "--data-dir", str(data_dir),
                               "--to", str(dest), "--keep", "2"], capture_output=True, text=True, check=True)
        took.append(float(done.stdout.split(", ")[-1].split()[0]))


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    data_dir = root / "store"
    init_store(data_dir, demo_config())
    keys = seed_demo(data_dir)
    t0 = time.perf_counter()
    fill(data_dir, args.sales)
    size = (data_dir / "store.db").stat().st_size
    print(f"store: {args.sales} sales, {size / 1e6:.1f} MB (filled in {time.perf_counter() - t0:.1f} s)")
    with Served(data_dir) as served:
        for rnd in range(args.rounds):
            base, base_n = drive(served.url, keys["lane"], args.seconds, f"r{rnd}-base")
            took: list[float] = []
            stop = threading.Event()

            runner = threading.Thread(target=_backups, args=(data_dir, root / "backups", stop, took))
            runner.start()
            during, during_n = drive(served.url, keys["lane"], args.seconds, f"r{rnd}-backup")
            stop.set()
            runner.join()
            print(f"round {rnd + 1}: {len(took)} backups, median {statistics.median(took):.2f} s each | "
                  f"sales/s {base_n / args.seconds:.0f} -> {during_n / args.seconds:.0f} "
                  f"({during_n / base_n:.0%}) | median {statistics.median(base):.1f} -> "
                  f"{statistics.median(during):.1f} ms | p99 {p99(base):.1f} -> {p99(during):.1f} ms")


if __name__ == "__main__":
    main()
