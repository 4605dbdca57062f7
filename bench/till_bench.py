"""8 lanes against the running server: quote and sale throughput and latency beside a bare endpoint.

    .venv/bin/python bench/till_bench.py [--seconds 10] [--lanes 8] [--rounds 3]

Starts two uvicorns (1 worker each, uvloop + httptools): the bare Litestar endpoint (the floor) and
a fresh demo store, and drives bare, quote and sale in turn with wrk (Debian package `wrk`) at
`--lanes` connections, `--rounds` times. Prints requests/s, p50 and p99, and the ratios to the floor
of the same round (medians over rounds: this host's load drifts by tens of percent).
Sales are real: WAL with synchronous=FULL, a unique sale_id per request, a member with points and a
counted pastry line, so stock, ledger and outbox are written for each one.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DONE = """
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
THREAD_IDS = """
local next_id = 0
setup = function(thread) next_id = next_id + 1; thread:set("tid", next_id) end
"""


def lua_post(path: str, body: str, key: str | None, unique: bool) -> str:
    headers = 'wrk.headers["Content-Type"] = "application/json"\n'
    if key:
        headers += f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    if not unique:
        return f'wrk.method = "POST"\nwrk.path = "{path}"\nwrk.body = {json.dumps(body)}\n{headers}{DONE}'
    # each request gets its own sale_id: "<run>-<thread>-<n>"
    return (f'{THREAD_IDS}{headers}local n = 0\nlocal template = {json.dumps(body)}\n'
            f'request = function()\n  n = n + 1\n'
            f'  return wrk.format("POST", "{path}", nil, string.format(template, tid .. "-" .. n))\nend\n{DONE}')


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {cmd}")


def wrk(port: int, script: Path, seconds: int, lanes: int) -> dict:
    threads = int(os.environ.get("WRK_THREADS", min(lanes, 2)))
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{lanes}", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[7:])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def summarise(runs: list[dict]) -> dict:
    """Median throughput and p50 over the rounds; the worst p99 (the target is a bound)."""
    rps = sorted(r["rps"] for r in runs)
    p50 = sorted(r["p50_us"] for r in runs)
    return {"rps": rps[len(rps) // 2], "p50_us": p50[len(p50) // 2], "p99_us": max(r["p99_us"] for r in runs),
            "bad": sum(r["non2xx"] + r["errors"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure bare, quote and sale in turn this many times; each ratio is against the bare "
                             "of its own round, and the medians are printed (the host's load drifts)")
    parser.add_argument("--only", choices=["quote", "sale"], help="measure the floor and this endpoint alone")
    parser.add_argument("--flash", choices=["as-is", "off"], default="as-is",
                        help="the demo's 16:00 flash offer on the pastry line: as the clock has it, or switched off "
                             "(it prices the croissant in both carts when open)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk")
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="till-bench-"))
    names = [n for n in ("quote", "sale") if args.only in (None, n)]
    runs: dict[str, list[dict]] = {n: [] for n in ("bare", *names)}
    ratios: dict[str, list[float]] = {n: [] for n in names}

    bare_port = free_port()
    bare = start([py, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--no-access-log",
                  "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"], bare_port)
    data = work / "store"
    port = free_port()
    env = {**os.environ, "STORE_EDGE_LOG_LEVEL": "warning"}
    demo = subprocess.Popen([py, "-m", "edge.cli", "demo", "--data-dir", str(data), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert demo.stdout is not None
        demo.stdout.readline()
        keys = dict(demo.stdout.readline().strip().split(" key: ") for _ in range(3))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        lane = {"Authorization": f"Bearer {keys['lane']}"}
        manager = {"Authorization": f"Bearer {keys['manager']}"}
        base = f"http://127.0.0.1:{port}"
        httpx.put(f"{base}/api/v1/inventory/CROISSANT", json={"on_hand": 10_000_000}, headers=manager)
        flash = next(c for c in httpx.get(f"{base}/api/v1/campaigns", headers=manager).json()
                     if c["campaign"]["campaign_id"] == "flash-pastry")["campaign"]
        if args.flash == "off":
            httpx.post(f"{base}/api/v1/campaigns", json={**flash, "active": False}, headers=manager).raise_for_status()
        member = httpx.post(f"{base}/api/v1/members", headers=lane, json={
            "phone": "13800138000", "consent": {"policy_version": "2026-01", "granted": True},
            "lane_id": "L1", "cashier_id": "C1"}).json()["member_id"]
        cart = [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]
        quote = {"lane_id": "L1", "cashier_id": "C1", "member": {"member_id": member}, "lines": cart,
                 "checkout_id": "bench-checkout"}
        scripts = {"bare": work / "bare.lua", "quote": work / "quote.lua"}
        scripts["bare"].write_text(lua_post("/bare", '{"lane_id": "L1"}', None, unique=False))
        scripts["quote"].write_text(lua_post("/api/v1/checkouts/quote", json.dumps(quote), keys["lane"],
                                             unique=False))
        ports = {"bare": bare_port, "quote": port, "sale": port}
        for name in ("bare", "quote"):
            wrk(ports[name], scripts[name], 2, args.lanes)  # warm-up
        for n in range(args.rounds):
            # each round its own sale ids: "<run>-<round>-<thread>-<n>"
            sale = json.dumps({"sale_id": f"{os.urandom(3).hex()}-{n}-SALEID", "lane_id": "L1", "cashier_id": "C1",
                               "member_id": member, "lines": cart, "payment": {"method": "cash"}})
            scripts["sale"] = work / "sale.lua"
            scripts["sale"].write_text(lua_post("/api/v1/sales", sale.replace("SALEID", "%s"), keys["lane"],
                                                unique=True))
            floor = wrk(bare_port, scripts["bare"], args.seconds, args.lanes)
            runs["bare"].append(floor)
            for name in names:
                result = wrk(ports[name], scripts[name], args.seconds, args.lanes)
                runs[name].append(result)
                ratios[name].append(result["rps"] / floor["rps"])
        depth = httpx.get(f"{base}/healthz").json()["outbox_depth"]
        probe = httpx.post(f"{base}/api/v1/checkouts/quote", json={**quote, "checkout_id": "probe"}, headers=lane).json()
        flash_priced = any(n["offer_id"] == "flash-pastry" and n["applied"] for n in probe["notes"])
    finally:
        for proc in (bare, demo):
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)

    rounds = f", median of {args.rounds} rounds (worst p99)" if args.rounds > 1 else ""
    print(f"till bench: {args.lanes} lanes, {args.seconds}s each{rounds}, uvicorn 1 worker, {os.cpu_count()} cores; "
          f"flash offer {'open, pricing the croissant' if flash_priced else 'not pricing'} ({args.flash})")
    print(f"{'endpoint':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs bare':>8}")
    for name, rs in runs.items():
        r = summarise(rs)
        share = sorted(ratios[name])[len(ratios[name]) // 2] if name in ratios else 1.0
        print(f"{name:<8} {r['rps']:>9.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
              f"{r['bad']:>8} {share:>8.0%}")
    if args.rounds > 1:
        for name in names:
            print(f"{name} vs bare by round: " + ", ".join(f"{x:.0%}" for x in ratios[name]))
    print(f"sales recorded (outbox events incl. points): {depth}")
    print("targets: quote >= 60% and sale >= 40% of bare; p99 quote < 10 ms, sale < 20 ms")


if __name__ == "__main__":
    main()
