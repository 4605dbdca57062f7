"""What the till targets leave room for: the cheapest member read and durable write beside the bare endpoint.

    .venv/bin/python bench/floor_bench.py [--seconds 10] [--lanes 8] [--rounds 3]

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
from bench.till_bench import free_port, lua_post, start, summarise, wrk  # noqa: E402

UVICORN = ["--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="every endpoint in turn, this many times (medians)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk")
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="floor-bench-"))
    names = ("bare", "read", "spine-quote", "write", "spine-write")
    runs: dict[str, list[dict]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    lines = '"lines": [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]'
    bodies = {"bare": ('{"lane_id": "L1"}', False), "read": ('{"member_id": "M1"}', False),
              "spine-quote": ('{"member_id": "M1", ' + lines + '}', False),
              "write": ('{"sale_id": "%s", "member_id": "M1", "total_fen": 3200}', True),
              "spine-write": ('{"sale_id": "%s", "member_id": "M1", "total_fen": 3200, ' + lines + '}', True)}
    db = work / "floor.db"
    os.environ["FLOOR_DB"] = str(db)
    from bench.floor_app import prepare
    prepare(str(db))
    ports = {"bare": free_port(), "floor": free_port()}
    procs = [start([py, "-m", "uvicorn", "bench.bare_app:app", "--port", str(ports["bare"]), *UVICORN], ports["bare"]),
             start([py, "-m", "uvicorn", "bench.floor_app:app", "--port", str(ports["floor"]), *UVICORN],
                   ports["floor"])]
    try:
        for n in range(args.rounds):
            for name in names:
                body, unique = bodies[name]
                script = work / f"{name}.lua"
                # each round its own sale ids
                script.write_text(lua_post("/" + name, body.replace('"%s"', f'"{n}-%s"'), None, unique=unique))
                port = ports["bare" if name == "bare" else "floor"]
                if n == 0 and not unique:
                    wrk(port, script, 2, args.lanes)  # warm-up
                runs[name].append(wrk(port, script, args.seconds, args.lanes))
                ratios[name].append(runs[name][-1]["rps"] / runs["bare"][-1]["rps"])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)

    rounds = f", median of {args.rounds} rounds (worst p99)" if args.rounds > 1 else ""
    print(f"floor bench: {args.lanes} lanes, {args.seconds}s each{rounds}, uvicorn 1 worker, {os.cpu_count()} cores")
    print(f"{'endpoint':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs bare':>8}")
    for name in names:
        r = summarise(runs[name])
        share = sorted(ratios[name])[len(ratios[name]) // 2]
        print(f"{name:<12} {r['rps']:>9.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
              f"{r['bad']:>8} {share:>8.0%}")
    print("read: one indexed SELECT. spine-quote: a tier and member-day price, no key, no campaigns (less than "
          "any quote). write: one INSERT, grouped synchronous=FULL commits. spine-write: the rows issue 2 asks a "
          "sale to write, no pricing (less than any sale). Their shares are ceilings for the quote's (target 60%) "
          "and the sale's (target 40%).")


if __name__ == "__main__":
    main()
