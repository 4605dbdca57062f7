"""What the till targets leave room for: the cheapest member read and durable write beside the bare endpoint.

    .venv/bin/python bench/floor_bench.py [--seconds 10] [--lanes 8]

Same server stack and wrk drive as `bench/till_bench.py`. The endpoints (`bench/floor_app.py`) do
strictly less than a quote and a sale, so their share of the bare endpoint's throughput is a ceiling
for the quote's and the sale's: a target above the ceiling cannot be met by any quote or sale built
on this stack on this machine.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, like till_bench
from bench.till_bench import free_port, lua_post, start, wrk  # noqa: E402

UVICORN = ["--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--lanes", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk")
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="floor-bench-"))
    results: dict[str, dict] = {}
    try:
        port = free_port()
        proc = start([py, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), *UVICORN], port)
        try:
            script = work / "bare.lua"
            script.write_text(lua_post("/bare", '{"lane_id": "L1"}', None, unique=False))
            wrk(port, script, 2, args.lanes)
            results["bare"] = wrk(port, script, args.seconds, args.lanes)
        finally:
            proc.terminate()
            proc.wait()

        db = work / "floor.db"
        os.environ["FLOOR_DB"] = str(db)
        from bench.floor_app import prepare
        prepare(str(db))
        port = free_port()
        proc = start([py, "-m", "uvicorn", "bench.floor_app:app", "--port", str(port), *UVICORN], port)
        try:
            script = work / "read.lua"
            script.write_text(lua_post("/read", '{"member_id": "M1"}', None, unique=False))
            wrk(port, script, 2, args.lanes)
            results["read"] = wrk(port, script, args.seconds, args.lanes)
            script = work / "spine-quote.lua"
            body = '{"member_id": "M1", "lines": [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]}'
            script.write_text(lua_post("/spine-quote", body, None, unique=False))
            results["spine-quote"] = wrk(port, script, args.seconds, args.lanes)
            script = work / "write.lua"
            body = '{"sale_id": "%s", "member_id": "M1", "total_fen": 3200}'
            script.write_text(lua_post("/write", body, None, unique=True))
            results["write"] = wrk(port, script, args.seconds, args.lanes)
            script = work / "spine.lua"
            body = ('{"sale_id": "%s", "member_id": "M1", "total_fen": 3200, '
                    '"lines": [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]}')
            script.write_text(lua_post("/spine-write", body, None, unique=True))
            results["spine-write"] = wrk(port, script, args.seconds, args.lanes)
        finally:
            proc.terminate()
            proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    floor = results["bare"]["rps"]
    print(f"floor bench: {args.lanes} lanes, {args.seconds}s each, uvicorn 1 worker, {os.cpu_count()} cores")
    print(f"{'endpoint':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs bare':>8}")
    for name in ("bare", "read", "spine-quote", "write", "spine-write"):
        r = results[name]
        print(f"{name:<12} {r['rps']:>9.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
              f"{r['non2xx'] + r['errors']:>8} {r['rps'] / floor:>8.0%}")
    print("read: one indexed SELECT. spine-quote: a tier and member-day price, no key, no campaigns (less than "
          "any quote). write: one INSERT, grouped synchronous=FULL commits. spine-write: the rows issue 2 asks a "
          "sale to write, no pricing (less than any sale). Their shares are ceilings for the quote's (target 60%) "
          "and the sale's (target 40%).")


if __name__ == "__main__":
    main()
