"""8 lanes against the running server: quote and sale throughput and latency beside a bare endpoint.

    .venv/bin/python bench/till_bench.py [--seconds 10] [--lanes 8] [--rounds 3]
        [--only quote,sale,quote-flash,sale-flash]

Starts two uvicorns (1 worker each, uvloop + httptools): the bare Litestar endpoint (the floor) and
a fresh demo store, and drives bare and each workload in turn with wrk (Debian package `wrk`) at
`--lanes` connections, `--rounds` times. Prints requests/s, p50 and p99, and the ratios to the floor
of the same round (medians over rounds: this host's load drifts by tens of percent). The p99 column
is the median round's, beside the worst round's; a thread fsyncs a small file on the store's disk
every 20 ms throughout, and each round's slowest fsync is printed with that round's p99, so a round
spoiled by the disk stalling (every durable write waits for it) shows as such.

The workloads do not depend on the clock. The bench's member is first made gold (1000 bps) by one
large sale, and a local member-day campaign (500 bps) applies every day. `quote` and `sale` price
the spine (tier discount plus member-day boost) with the demo's flash offer switched off;
`quote-flash` and `sale-flash` are the same with the flash offer open all day, pricing the croissant.
Each round runs the spine workloads, switches the flash offer on for the flash ones, and off again;
a probe quote checks the pricing before each and the header shows what it applied (on Fridays the
demo's HQ member day shows there too). Sales are real: WAL with synchronous=FULL, a unique sale_id
per request, a member with points and a counted pastry line, so stock, ledger and outbox are written
for each one.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
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

WORKLOADS = ("quote", "sale", "quote-flash", "sale-flash")
FLASH_ID = "flash-pastry"
MEMBER_DAY = {  # the demo's member day is Fridays only; this one keeps the spine's boost in every run
    "campaign_id": "bench-member-day", "kind": "member_day", "name_zh": "会员日", "name_en": "Member day",
    "benefit": {"type": "percent_off", "bps": 500},
    "conditions": {"weekdays": [1, 2, 3, 4, 5, 6, 7], "members_only": True}}


def lua_post(path: str, body: str, key: str | None, unique: bool) -> str:
    headers = 'wrk.headers["Content-Type"] = "application/json"\n'
    if key:
        headers += f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    if not unique:
        return f'wrk.method = "POST"\nwrk.path = "{path}"\nwrk.body = {json.dumps(body)}\n{headers}{DONE}'
    # each request gets its own sale_id: the template's prefix, then "<thread>-<n>"
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


class DiskProbe(threading.Thread):
    """fsyncs 4 KB on the store's disk every 20 ms and keeps how long each took, to tell a round the
    disk stalled in from one the code was slow in."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.path = folder / "disk-probe"
        self.samples: list[tuple[float, float]] = []  # (when it ended, seconds it took)
        self.stop = threading.Event()

    def run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            block = os.urandom(4096)
            while not self.stop.wait(0.02):
                os.pwrite(fd, block, 0)
                began = time.monotonic()
                os.fsync(fd)
                ended = time.monotonic()
                self.samples.append((ended, ended - began))
        finally:
            os.close(fd)

    def worst(self, start: float, end: float) -> float:
        return max((took for at, took in self.samples if start <= at <= end), default=0.0)


def wrk(port: int, script: Path, seconds: int, lanes: int, probe: DiskProbe | None = None) -> dict:
    threads = int(os.environ.get("WRK_THREADS", min(lanes, 2)))
    began = time.monotonic()
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{lanes}", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[7:])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["disk_us"] = probe.worst(began, time.monotonic()) * 1e6 if probe is not None else 0.0
    return result


def summarise(runs: list[dict]) -> dict:
    """Median throughput, p50 and p99 over the rounds, and the worst round's p99."""
    rps = sorted(r["rps"] for r in runs)
    p50 = sorted(r["p50_us"] for r in runs)
    p99 = sorted(r["p99_us"] for r in runs)
    return {"rps": rps[len(rps) // 2], "p50_us": p50[len(p50) // 2], "p99_us": p99[len(p99) // 2],
            "worst_p99_us": p99[-1], "bad": sum(r["non2xx"] + r["errors"] for r in runs)}


def workloads(only: list[str] | None, parser: argparse.ArgumentParser) -> list[str]:
    """--only, comma separated or repeated, in the bench's own order."""
    if not only:
        return list(WORKLOADS)
    asked = {w.strip() for arg in only for w in arg.split(",") if w.strip()}
    if unknown := asked - set(WORKLOADS):
        parser.error(f"--only: unknown workload(s) {', '.join(sorted(unknown))}; choose from {', '.join(WORKLOADS)}")
    return [w for w in WORKLOADS if w in asked]


def client(base: str, key: str) -> httpx.Client:
    """A client that stops the bench on any error answer: a setup step that failed would skew the figures."""
    def loud(r: httpx.Response) -> None:
        if r.is_error:
            r.read()
            raise SystemExit(f"bench: {r.request.method} {r.request.url.path} -> {r.status_code} {r.text}")
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, event_hooks={"response": [loud]})


def checked_pricing(probe: dict, flash_on: bool) -> list[str]:
    """The probe quote's applied rule ids, once it shows the pricing its workloads are named for."""
    applied = [d["rule_id"] for d in probe["applied"]]
    flash_priced = any(n["offer_id"] == FLASH_ID and n["applied"] for n in probe["notes"])
    if "tier:gold" not in applied or not any(r.startswith("member_day:") for r in applied) \
            or flash_priced != flash_on:
        raise SystemExit(f"bench: the {'flash' if flash_on else 'spine'} workloads do not price as named: "
                         f"applied {applied}, flash {'priced' if flash_priced else 'did not price'} the croissant "
                         f"(want tier:gold, a member_day: boost and flash {'on' if flash_on else 'off'})")
    return applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure bare and each workload in turn this many times; each ratio is against the "
                             "bare of its own round, and the medians are printed (the host's load drifts)")
    parser.add_argument("--only", action="append", metavar="WORKLOAD",
                        help=f"measure the floor and these workloads alone: one or more of {','.join(WORKLOADS)} "
                             "(comma separated or repeated; default all)")
    args = parser.parse_args()
    names = workloads(args.only, parser)
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk")
    # each round: the spine workloads with the flash offer off, then the flash ones with it open
    phases = [(flash_on, ws) for flash_on in (False, True)
              if (ws := [w for w in names if w.endswith("-flash") == flash_on])]
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="till-bench-"))
    run = os.urandom(3).hex()
    runs: dict[str, list[dict]] = {n: [] for n in ("bare", *names)}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    pricing: dict[bool, list[str]] = {}

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
        base = f"http://127.0.0.1:{port}"
        lane, manager = client(base, keys["lane"]), client(base, keys["manager"])
        manager.put("/api/v1/inventory/CROISSANT", json={"on_hand": 10_000_000})  # the flash surplus never ends
        flash = next(c["campaign"] for c in manager.get("/api/v1/campaigns").json()
                     if c["campaign"]["campaign_id"] == FLASH_ID)
        member = lane.post("/api/v1/members", json={
            "phone": "13800138000", "consent": {"policy_version": "2026-01", "granted": True},
            "lane_id": "L1", "cashier_id": "C1"}).json()["member_id"]
        # a new member is regular (0 bps); 224,000 fen of lattes lifts them past gold's 200,000
        lane.post("/api/v1/sales", json={"sale_id": f"{run}-gold", "lane_id": "L1", "cashier_id": "C1",
                                         "member_id": member, "lines": [{"sku": "LATTE", "qty": 80}],
                                         "payment": {"method": "cash"}})
        tier = lane.get("/api/v1/members/lookup", params={"member_id": member}).json()["tier"]["tier_id"]
        if tier != "gold":
            raise SystemExit(f"bench: the member is {tier!r} after the upgrade sale, not gold")
        manager.post("/api/v1/campaigns", json=MEMBER_DAY)

        cart = [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]
        quote = {"lane_id": "L1", "cashier_id": "C1", "member": {"member_id": member}, "lines": cart,
                 "checkout_id": "bench-checkout"}
        scripts = {"bare": work / "bare.lua", "quote": work / "quote.lua"}
        scripts["bare"].write_text(lua_post("/bare", '{"lane_id": "L1"}', None, unique=False))
        scripts["quote"].write_text(lua_post("/api/v1/checkouts/quote", json.dumps(quote), keys["lane"],
                                             unique=False))
        scripts["quote-flash"] = scripts["quote"]  # the same cart: the campaign's state makes the difference
        flash_now: bool | None = None

        def enter(flash_on: bool) -> None:
            """Switch the flash offer for the phase, and check a quote prices as its workloads are named."""
            nonlocal flash_now
            if flash_on != flash_now:
                # open all day: starting at the business day's start (04:00) with no end, it never closes
                body = {**flash, "active": True, "flash": {**flash["flash"], "start": "04:00"}} if flash_on \
                    else {**flash, "active": False}
                manager.post("/api/v1/campaigns", json=body)
                flash_now = flash_on
            probe = lane.post("/api/v1/checkouts/quote", json={**quote, "checkout_id": "probe"}).json()
            pricing[flash_on] = checked_pricing(probe, flash_on)

        enter(phases[0][0])
        wrk(bare_port, scripts["bare"], 2, args.lanes)  # warm-up
        wrk(port, scripts["quote"], 2, args.lanes)
        probe = DiskProbe(work)
        probe.start()
        for n in range(args.rounds):
            floor = wrk(bare_port, scripts["bare"], args.seconds, args.lanes)
            runs["bare"].append(floor)
            for flash_on, ws in phases:
                enter(flash_on)
                for name in ws:
                    if name.startswith("sale"):
                        # a sale_id per request: "<run>-<round>-<workload>-<thread>-<n>"
                        sale = json.dumps({"sale_id": f"{run}-{n}-{name}-SALEID", "lane_id": "L1",
                                           "cashier_id": "C1", "member_id": member, "lines": cart,
                                           "payment": {"method": "cash"}})
                        scripts[name] = work / f"{name}.lua"
                        scripts[name].write_text(lua_post("/api/v1/sales", sale.replace("SALEID", "%s"),
                                                          keys["lane"], unique=True))
                    result = wrk(port, scripts[name], args.seconds, args.lanes, probe)
                    runs[name].append(result)
                    ratios[name].append(result["rps"] / floor["rps"])
        probe.stop.set()
        depth = lane.get("/healthz").json()["outbox_depth"]
    finally:
        for proc in (bare, demo):
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)

    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"till bench: {args.lanes} lanes, {args.seconds}s each{rounds}, uvicorn 1 worker, {os.cpu_count()} cores")
    for flash_on, ws in phases:
        print(f"  {', '.join(ws)}: flash offer {'open all day' if flash_on else 'off'}; "
              f"the probe quote applied {', '.join(pricing[flash_on])} (checked each round)")
    print(f"{'workload':<11} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'worst p99':>10} {'non-2xx':>8} {'vs bare':>8}")
    for name, rs in runs.items():
        r = summarise(rs)
        share = sorted(ratios[name])[len(ratios[name]) // 2] if name in ratios else 1.0
        print(f"{name:<11} {r['rps']:>9.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
              f"{r['worst_p99_us'] / 1000:>10.2f} {r['bad']:>8} {share:>8.0%}")
    if args.rounds > 1:
        for name in names:
            print(f"{name} vs bare by round: " + ", ".join(f"{x:.0%}" for x in ratios[name]))
    for name in names:
        print(f"{name} p99 by round (slowest fsync of the disk probe meanwhile): "
              + ", ".join(f"{r['p99_us'] / 1000:.1f} ms ({r['disk_us'] / 1000:.1f})" for r in runs[name]))
    print(f"outbox events (sales with their points, and the setup's): {depth}")
    print("goals (the quote and sale rows): quote >= 60% and sale >= 40% of bare; "
          "p99 quote < 10 ms, sale < 20 ms")
    if phases[-1][0]:
        print("the -flash rows add the open flash offer to the same carts and are shown beside them")


if __name__ == "__main__":
    main()
