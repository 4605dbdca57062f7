"""Does a printer slow the sale? Sale latency on lanes without a printer, with a good printer, and
with printers that never read or refuse, against one `store-edge serve` process, in the same run.

    .venv/bin/python bench/print_bench.py [--sales 200] [--rounds 3]

Each lane gets its own printer (fake printers on 127.0.0.1 in this process, the ones the tests
use), and the lanes take turns in every round, so each is compared with the no-printer lane
measured moments before. Prints p50 and p99 per lane and their ratio to the no-printer lane
(medians over rounds); a ratio near 1.0 means the printer costs the sale nothing it can feel.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "printers"))
sys.path.insert(0, str(ROOT / "tests"))
from fake_printer import FakePrinter  # noqa: E402
from support import free_port  # noqa: E402

LANES = {"L0": None, "L1": "good", "L2": "never_reads", "L3": "refuses"}


def cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True, check=True,
                          cwd=ROOT)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=200, help="sales per lane per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="print-bench-")) / "store"
    from edge.services.setup import demo_config, init_store, seed_demo  # noqa: PLC0415

    init_store(data, demo_config())
    keys = seed_demo(data)
    printers = {lane: FakePrinter(kind) for lane, kind in LANES.items() if kind}
    for lane, printer in printers.items():
        cli("printers", "add", "--name", f"p-{lane}", "--url", printer.url(timeout=2), "--lanes", lane,
            "--data-dir", str(data))
    lane_key = keys["lane"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "edge.cli", "serve", "--data-dir", str(data), "--port", str(port)],
                              cwd=ROOT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {lane_key}"}, timeout=30) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)  # a bench, not a test: waiting for the server to listen
            p50: dict[str, list[float]] = {lane: [] for lane in LANES}
            p99: dict[str, list[float]] = {lane: [] for lane in LANES}
            n = 0
            for _ in range(args.rounds):
                for lane in LANES:
                    took = []
                    for _ in range(args.sales):
                        n += 1
                        body = {"sale_id": f"B-{n}", "lane_id": lane, "cashier_id": "C1",
                                "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}}
                        start = time.perf_counter()
                        answer = client.post("/api/v1/sales", json=body)
                        took.append((time.perf_counter() - start) * 1000)
                        assert answer.status_code == 201, answer.text
                    took.sort()
                    p50[lane].append(took[len(took) // 2])
                    p99[lane].append(took[int(len(took) * 0.99) - 1])
        print(f"sale latency, {args.sales} sales x {args.rounds} rounds per lane (ms; ratio to the lane without a printer)")
        base50, base99 = statistics.median(p50["L0"]), statistics.median(p99["L0"])
        for lane, kind in LANES.items():
            m50, m99 = statistics.median(p50[lane]), statistics.median(p99[lane])
            print(f"  {lane} {kind or 'no printer':12s} p50 {m50:6.2f} ({m50 / base50:4.2f})   "
                  f"p99 {m99:6.2f} ({m99 / base99:4.2f})")
        good = printers["L1"]
        print(f"  good printer received {len(good.jobs)} receipts of {args.sales * args.rounds} "
              "(the rest still queued when the bench ended)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        for printer in printers.values():
            printer.close()


if __name__ == "__main__":
    main()
