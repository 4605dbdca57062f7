"""A store with years behind it beside a fresh one, in the same run: the till, its background work,
reports, lookups, startup, disk and memory.

    .venv/bin/python bench/history.py [--years 3] [--sales-per-day 1000] [--members N]
        [--seconds 10] [--lanes 8] [--rounds 3] [--store DIR]

1. Checks the loader: a sample of sales, joins, voids and upkeep through the real `Writer` and
   through the loader's `BulkWriter`, every row of every table compared (`bench/history_loader.py`).
2. Builds the history (`--years` of `--sales-per-day`, members in proportion) through the store's own
   services, or reuses the one in `--store DIR` built for the same plan. A fresh demo store is made
   beside it. Both get the same bench member (gold, a linked WeChat payer), a member day every day
   and a standee, so both price and answer alike.
3. Starts each store cold (`--starts` times, and once more to serve the rounds): startup is spawn to
   /healthz answering.
4. Each round, interleaved: the bare endpoint and floor_bench's probes (spine-quote, spine-write),
   then per store quote, sale, lookup by phone and by payer at `--lanes` connections (wrk), then
   quote and sale again while a background loop pulls like HQ (list, fetch every batch, ack:
   the pull seals what is pending), takes a backup (`store-edge backup`) and renders a standee
   poster. The WAL's size is sampled every 20 ms meanwhile.
5. The manager's reports (join rate over 30 and 365 days by day and by lane, segments) timed alone.
6. Sizes (database, WAL), resident memory of each server, what retention would free.

Prints one table: fresh, history, history/fresh; and the restated ratios (quote / spine-quote,
sale / spine-write, medians over rounds). Needs wrk (Debian package).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, like till_bench
from bench.history_loader import Plan, build, check_against_writer, new_store  # noqa: E402
from bench.till_bench import DONE, MEMBER_DAY, free_port, lua_post, start, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UVICORN = ["--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]
BENCH_PHONE = "13800138000"
BENCH_PAYER = ("wechat", "o6_bench_lane_payer")
CART = [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]
MB = 1024 * 1024


def lua_get(path: str, key: str) -> str:
    return f'wrk.method = "GET"\nwrk.path = "{path}"\nwrk.headers["Authorization"] = "Bearer {key}"\n{DONE}'


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


@dataclass
class Served:
    """One store's server and what the bench set up in it."""

    name: str
    data_dir: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    keys: dict[str, str] = field(default_factory=dict)
    member_id: str = ""
    standee_id: str = "bench-door"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, role: str) -> httpx.Client:
        def loud(r: httpx.Response) -> None:
            if r.is_error:
                r.read()
                raise SystemExit(f"bench ({self.name}): {r.request.method} {r.request.url.path} -> "
                                 f"{r.status_code} {r.text[:300]}")
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.keys[role]}"},
                            event_hooks={"response": [loud]}, timeout=120)

    def serve(self) -> float:
        """Start the server cold; seconds from spawn until /healthz answers."""
        self.port = free_port()
        env = {**os.environ, "STORE_EDGE_LOG_LEVEL": "warning"}
        began = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "serve", "--data-dir", str(self.data_dir),
                                      "--port", str(self.port)], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: {self.name} store did not start: {self.proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - began
            except httpx.TransportError:
                time.sleep(0.02)
        raise SystemExit(f"bench: {self.name} store did not answer /healthz")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self.proc = None

    def rss_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) of the server process, MB."""
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in status.splitlines()
                                                 if ln.startswith(("VmRSS", "VmHWM")))}
        return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024

    def db_bytes(self) -> tuple[int, int]:
        db = self.data_dir / "store.db"
        wal = Path(f"{db}-wal")
        return db.stat().st_size, wal.stat().st_size if wal.exists() else 0


def mint_keys(data_dir: Path) -> dict[str, str]:
    from edge.domain.clock import system_clock
    from edge.services.keys import create_key
    from edge.store.connection import immediate, open_database

    db = open_database(data_dir / "store.db")
    with immediate(db.conn):
        keys = {r: create_key(db.conn, r, system_clock(), f"bench {r}")[1] for r in ("lane", "manager", "hq")}
    db.conn.close()
    return keys


def prepare(s: Served, run: str) -> None:
    """The same bench member, member day and standee in either store (idempotent on a reused store)."""
    lane, manager = s.client("lane"), s.client("manager")
    consent = {"policy_version": "2026-01", "granted": True, "payment_link": True}
    s.member_id = lane.post("/api/v1/members", json={"phone": BENCH_PHONE, "consent": consent, "lane_id": "L1",
                                                      "cashier_id": "C1"}).json()["member_id"]
    # a new member is regular; 224,000 fen of lattes lifts them past gold, and paying links the payer
    lane.post("/api/v1/sales", json={"sale_id": f"{run}-gold", "lane_id": "L1", "cashier_id": "C1",
                                     "member_id": s.member_id, "lines": [{"sku": "LATTE", "qty": 80}],
                                     "payment": {"method": "wechat_pay", "provider": BENCH_PAYER[0],
                                                 "payer_id": BENCH_PAYER[1]}})
    found = lane.get("/api/v1/members/lookup", params={"payer": ":".join(BENCH_PAYER)}).json()
    if found["member_id"] != s.member_id or found["tier"]["tier_id"] != "gold":
        raise SystemExit(f"bench ({s.name}): the bench member is not gold with a linked payer: {found}")
    manager.post("/api/v1/campaigns", json=MEMBER_DAY)
    manager.post("/api/v1/standees", json={"standee_id": s.standee_id, "label": "门口立牌 Door"})
    probe = lane.post("/api/v1/checkouts/quote", json=quote_body(s, "probe")).json()
    applied = [d["rule_id"] for d in probe["applied"]]
    if "tier:gold" not in applied:
        raise SystemExit(f"bench ({s.name}): the quote does not price the gold tier: {applied}")


def quote_body(s: Served, checkout: str = "bench-checkout") -> dict:
    return {"lane_id": "L1", "cashier_id": "C1", "member": {"member_id": s.member_id}, "lines": CART,
            "checkout_id": checkout}


def scripts(s: Served, work: Path, tag: str) -> dict[str, Path]:
    """wrk scripts for one store: quote, sale (a fresh sale id per request), the two lookups."""
    key = s.keys["lane"]
    sale = json.dumps({"sale_id": f"{tag}-SALEID", "lane_id": "L1", "cashier_id": "C1", "member_id": s.member_id,
                       "lines": CART, "payment": {"method": "cash"}})
    texts = {"quote": lua_post("/api/v1/checkouts/quote", json.dumps(quote_body(s)), key, unique=False),
             "sale": lua_post("/api/v1/sales", sale.replace("SALEID", "%s"), key, unique=True),
             "lookup-phone": lua_get(f"/api/v1/members/lookup?phone={BENCH_PHONE}", key),
             "lookup-payer": lua_get(f"/api/v1/members/lookup?payer={':'.join(BENCH_PAYER)}", key)}
    out = {}
    for name, text in texts.items():
        out[name] = work / f"{s.name}-{tag}-{name}.lua"
        out[name].write_text(text)
    return out


class Background:
    """HQ's pull, a backup and a poster render in a loop beside the lanes; the WAL's size sampled."""

    def __init__(self, s: Served, work: Path) -> None:
        self.s, self.work = s, work
        self.stop = threading.Event()
        self.times: dict[str, list[float]] = {"pull": [], "backup": [], "poster": []}
        self.events_pulled = 0
        self.pull_events: list[int] = []  # events each pull brought back (its time follows them)
        self.backup_bytes = 0
        self.wal_peak = 0
        self.errors: list[str] = []

    def __enter__(self) -> "Background":
        self.threads = [threading.Thread(target=self._loop, daemon=True),
                        threading.Thread(target=self._sample, daemon=True)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()
        if self.errors:
            raise SystemExit(f"bench ({self.s.name}): background work failed: {self.errors[0]}")

    def _sample(self) -> None:
        wal = Path(f"{self.s.data_dir / 'store.db'}-wal")
        while not self.stop.wait(0.02):
            try:
                self.wal_peak = max(self.wal_peak, wal.stat().st_size)
            except FileNotFoundError:
                pass

    def _timed(self, name: str, fn) -> None:  # noqa: ANN001
        began = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported after the phase
            self.errors.append(f"{name}: {exc}")
            return
        self.times[name].append(time.perf_counter() - began)

    def _pull(self, hq: httpx.Client) -> None:
        before = self.events_pulled
        try:
            self._pull_all(hq)
        finally:
            self.pull_events.append(self.events_pulled - before)

    def _pull_all(self, hq: httpx.Client) -> None:
        status = hq.get("/sync/v1/status").json()
        after, epoch = status["acked_through"], status["epoch_id"]
        while True:
            listed = hq.get("/sync/v1/batches", params={"after": after, "epoch": epoch, "limit": 50}).json()
            if not listed["batches"]:
                return
            for b in listed["batches"]:
                body = hq.get(f"/sync/v1/batches/{b['batch_seq']}", headers={"Accept-Encoding": "gzip"}).content
                self.events_pulled += body.count(b"\n")
                after = b["batch_seq"]
            hq.post("/sync/v1/ack", json={"epoch_id": epoch, "through_batch_seq": after})

    def _backup(self) -> None:
        out = subprocess.run([sys.executable, "-m", "edge.cli", "backup", "--data-dir", str(self.s.data_dir),
                              "--to", str(self.work / f"backups-{self.s.name}"), "--keep", "1"],
                             cwd=ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-500:])
        self.backup_bytes = (self.s.data_dir / "store.db").stat().st_size

    def _poster(self, manager: httpx.Client) -> None:
        png = manager.get(f"/api/v1/standees/{self.s.standee_id}/poster.png", params={"size": "a4"}).content
        if not png.startswith(b"\x89PNG"):
            raise RuntimeError("the poster is not a PNG")

    def _loop(self) -> None:
        """Whole cycles (each job at least once, however short the phase), until the phase ends."""
        hq, manager = self.s.client("hq"), self.s.client("manager")
        while not self.errors:
            self._timed("pull", lambda: self._pull(hq))
            self._timed("backup", self._backup)
            self._timed("poster", lambda: self._poster(manager))
            if self.stop.is_set():
                break


def timed_get(client: httpx.Client, path: str, params: dict, times: int = 5) -> float:
    """Median milliseconds of `times` GETs, one at a time."""
    out = []
    for _ in range(times):
        began = time.perf_counter()
        client.get(path, params=params)
        out.append((time.perf_counter() - began) * 1000)
    return median(out)


def retention_preview(data_dir: Path) -> dict:
    try:
        from edge.services.retention import preview
    except ImportError:
        return {}
    return preview(data_dir / "store.db")


def main() -> None:  # noqa: C901, PLR0915 - one bench, read top-down
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--sales-per-day", type=int, default=1000)
    parser.add_argument("--members", type=int, help="members in the history (default: one per 30 sales, "
                                                    "at most 60,000)")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--lanes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starts", type=int, default=2, help="cold starts per store before the one that serves "
                                                             "the rounds (all of them give the startup figure)")
    parser.add_argument("--store", help="keep the built history here and reuse it when the plan matches")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="history-bench-"))
    run = os.urandom(3).hex()
    began = time.perf_counter()
    servers: list[Served] = []
    procs: list[subprocess.Popen] = []
    try:
        # 1. the loader writes what the real writer writes
        t = time.perf_counter()
        compared = check_against_writer(work / "check")
        print(f"loader check: {sum(compared.values())} rows in {len(compared)} tables equal through the real "
              f"writer and the bulk loader ({time.perf_counter() - t:.1f} s)", flush=True)

        # 2. the history, and a fresh store beside it
        plan = Plan.of(args.years, args.sales_per_day, args.members)
        marker = {"days": plan.days, "sales_per_day": plan.sales_per_day, "members": plan.members,
                  "seed": plan.seed}
        hist_dir = Path(args.store) if args.store else work / "history"
        stamp = hist_dir / "history-plan.json"
        if stamp.exists() and json.loads(stamp.read_text()).get("plan") == marker:
            built = json.loads(stamp.read_text())
            print(f"history: reusing {hist_dir} ({built['sales']} sales, built in {built['seconds']:.0f} s)",
                  flush=True)
        else:
            if hist_dir.exists():
                shutil.rmtree(hist_dir)
            t = time.perf_counter()
            last = [0.0]

            def progress(done: int, days: int) -> None:
                if time.perf_counter() - last[0] > 30 or done == days:
                    last[0] = time.perf_counter()
                    print(f"  history: day {done}/{days}, {time.perf_counter() - t:.0f} s", flush=True)

            history = build(hist_dir, plan, progress)
            built = {"plan": marker, "sales": history.sales_done, "voided": history.voided,
                     "members": len(history.member_ids), "seconds": time.perf_counter() - t}
            stamp.write_text(json.dumps(built))
            print(f"history: {built['sales']} sales ({built['voided']} voided), {built['members']} members over "
                  f"{plan.days} days, built in {built['seconds']:.0f} s", flush=True)
        # a history kept from an older release is upgraded by its first open (a backup, migrations,
        # perhaps the switch to incremental vacuum): timed here, so startup below measures a plain start
        from edge.services.runtime import StoreRuntime
        t = time.perf_counter()
        StoreRuntime(hist_dir).close()
        opened = time.perf_counter() - t
        if opened > 5:
            print(f"history: first open took {opened:.0f} s (an upgrade of a store built by an older release)",
                  flush=True)
        shutil.rmtree(hist_dir / "backups", ignore_errors=True)  # the upgrade's own backup of the bench store
        fresh_dir = work / "fresh"
        new_store(fresh_dir, plan.end - timedelta(days=1))
        stores = [Served("fresh", fresh_dir), Served("history", hist_dir)]
        servers.extend(stores)

        # 3. cold starts
        startup: dict[str, list[float]] = {s.name: [] for s in stores}
        for s in stores:
            s.keys = mint_keys(s.data_dir)
        for _ in range(args.starts):
            for s in stores:
                startup[s.name].append(s.serve())
                s.stop()
        for s in stores:
            startup[s.name].append(s.serve())
            prepare(s, run)

        # 4. the floor, and the rounds
        db = work / "floor.db"
        os.environ["FLOOR_DB"] = str(db)
        from bench.floor_app import prepare as prepare_floor
        prepare_floor(str(db))
        ports = {"bare": free_port(), "floor": free_port()}
        procs.append(start([sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(ports["bare"]),
                            *UVICORN], ports["bare"]))
        procs.append(start([sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(ports["floor"]),
                            *UVICORN], ports["floor"]))
        lines = '"lines": [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]'
        floor_scripts = {
            "bare": lua_post("/bare", '{"lane_id": "L1"}', None, unique=False),
            "spine-quote": lua_post("/spine-quote", '{"member_id": "M1", ' + lines + '}', None, unique=False),
            "spine-write": None}
        runs: dict[str, list[dict]] = {}
        bg: dict[str, list[Background]] = {s.name: [] for s in stores}

        def measure(key: str, port: int, script: Path, seconds: int | None = None) -> dict:
            result = wrk(port, script, seconds or args.seconds, args.lanes)
            runs.setdefault(key, []).append(result)
            return result

        for s in stores:  # warm-up: first requests build caches
            sc = scripts(s, work, "warm")
            wrk(s.port, sc["quote"], 1, args.lanes)
        for n in range(args.rounds):
            for name, text in floor_scripts.items():
                if text is None:
                    text = lua_post("/spine-write", '{"sale_id": "' + f"{n}-" + '%s", "member_id": "M1", '
                                    '"total_fen": 3200, ' + lines + '}', None, unique=True)
                path = work / f"{name}.lua"
                path.write_text(text)
                measure(name, ports["bare" if name == "bare" else "floor"], path)
            for s in stores:
                sc = scripts(s, work, f"{run}-{n}")
                for name in ("quote", "sale", "lookup-phone", "lookup-payer"):
                    measure(f"{s.name}:{name}", s.port, sc[name])
            for s in stores:
                sc = scripts(s, work, f"{run}-{n}-bg")
                for name in ("quote", "sale"):
                    with Background(s, work) as b:
                        measure(f"{s.name}:{name}+bg", s.port, sc[name])
                    bg[s.name].append(b)
            print(f"  round {n + 1}/{args.rounds} done, {time.perf_counter() - began:.0f} s", flush=True)

        # 5. reports, alone
        reports: dict[str, dict[str, float]] = {}
        for s in stores:
            manager = s.client("manager")
            today = manager.get("/api/v1/reports/join-rate").json()["to"]
            from datetime import date
            end = date.fromisoformat(today)
            reports[s.name] = {}
            for days in (30, 365):
                for by in ("day", "lane"):
                    reports[s.name][f"join rate {days} d by {by}"] = timed_get(
                        manager, "/api/v1/reports/join-rate",
                        {"from": (end - timedelta(days=days - 1)).isoformat(), "to": today, "by": by})
            reports[s.name]["segments"] = timed_get(manager, "/api/v1/reports/segments", {"limit": 20})

        # 6. sizes and memory
        rss = {s.name: s.rss_mb() for s in stores}
        sizes = {s.name: s.db_bytes() for s in stores}
        freed = {s.name: retention_preview(s.data_dir) for s in stores}
    finally:
        for s in servers:
            s.stop()
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    print_table(args, plan, built, runs, bg, startup, reports, rss, sizes, freed, time.perf_counter() - began)


def print_table(args, plan, built, runs, bg, startup, reports, rss, sizes, freed, seconds) -> None:  # noqa: ANN001
    rounds = args.rounds

    def rps(key: str) -> float:
        return median([r["rps"] for r in runs[key]])

    def p(key: str, q: str) -> float:
        vals = [r[q] / 1000 for r in runs[key]]
        return max(vals) if q == "p99_us" else median(vals)

    def bad(key: str) -> int:
        return sum(r["non2xx"] + r["errors"] for r in runs[key])

    def ratio(key: str, floor: str) -> float:
        return median([a["rps"] / b["rps"] for a, b in zip(runs[key], runs[floor], strict=True)])

    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, f: float, h: float, fmt: str = "{:.0f}", worse_if_higher: bool = True) -> None:
        change = (h / f - 1) if f else float("nan")
        mark = ("worse" if (change > 0) == worse_if_higher else "better") if abs(change) >= 0.005 else "same"
        rows.append((label, fmt.format(f), fmt.format(h), f"{change:+.0%} {mark}" if f == f and h == h else ""))

    for name in ("quote", "sale", "lookup-phone", "lookup-payer", "quote+bg", "sale+bg"):
        fk, hk = f"fresh:{name}", f"history:{name}"
        row(f"{name} req/s", rps(fk), rps(hk), worse_if_higher=False)
        row(f"{name} p50 ms", p(fk, "p50_us"), p(hk, "p50_us"), "{:.2f}")
        row(f"{name} p99 ms", p(fk, "p99_us"), p(hk, "p99_us"), "{:.2f}")
    for name in ("quote", "sale"):
        floor = "spine-quote" if name == "quote" else "spine-write"
        row(f"{name} / {floor}", ratio(f"fresh:{name}", floor) * 100, ratio(f"history:{name}", floor) * 100,
            "{:.0f}%", worse_if_higher=False)
        row(f"{name} / bare", ratio(f"fresh:{name}", "bare") * 100, ratio(f"history:{name}", "bare") * 100,
            "{:.0f}%", worse_if_higher=False)
    for what in ("pull", "backup", "poster"):
        f = median([x for b in bg["fresh"] for x in b.times[what]]) * 1000
        h = median([x for b in bg["history"] for x in b.times[what]]) * 1000
        row(f"bg {what} ms (median, under load)", f, h)

    def per_thousand(store: str) -> float:
        """A pull's time follows the events waiting (what the lanes sold since the last one, longer
        behind a longer backup): milliseconds per 1,000 events pulled, over every pull."""
        spent = sum(x for b in bg[store] for x in b.times["pull"])
        pulled = sum(b.events_pulled for b in bg[store])
        return spent * 1000 / pulled * 1000 if pulled else float("nan")

    def backup_rate(store: str) -> float:
        size = max(b.backup_bytes for b in bg[store]) / (1024 ** 3)
        return median([x for b in bg[store] for x in b.times["backup"]]) / size if size else float("nan")

    row("bg pull ms per 1,000 events", per_thousand("fresh"), per_thousand("history"), "{:.0f}")
    row("bg backup s per GB", backup_rate("fresh"), backup_rate("history"), "{:.1f}")
    row("bg WAL peak MB", max(b.wal_peak for b in bg["fresh"]) / MB, max(b.wal_peak for b in bg["history"]) / MB,
        "{:.1f}")
    for label in reports["fresh"]:
        row(f"report: {label} ms", reports["fresh"][label], reports["history"][label], "{:.1f}")
    row("startup s (median)", median(startup["fresh"]), median(startup["history"]), "{:.2f}")
    row("database MB", sizes["fresh"][0] / MB, sizes["history"][0] / MB, "{:.1f}")
    row("WAL MB (at the end)", sizes["fresh"][1] / MB, sizes["history"][1] / MB, "{:.1f}")
    row("server RSS MB (now)", rss["fresh"][0], rss["history"][0], "{:.0f}")
    row("server RSS MB (peak)", rss["fresh"][1], rss["history"][1], "{:.0f}")

    print()
    print(f"history bench: {plan.days} days x {plan.sales_per_day} sales/day ({built['sales']} sales, "
          f"{built['members']} members) vs a fresh store; {args.lanes} lanes, {args.seconds}s per run, "
          f"median of {rounds} interleaved rounds (p99: worst round); {os.cpu_count()} cores; "
          f"bench took {seconds:.0f} s")
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'fresh':>10}  {'history':>10}  history vs fresh")
    for label, f, h, c in rows:
        print(f"{label:<{width}}  {f:>10}  {h:>10}  {c}")
    print(f"floor this run: bare {rps('bare'):.0f} req/s, spine-quote {rps('spine-quote'):.0f} "
          f"({ratio('spine-quote', 'bare'):.0%} of bare), spine-write {rps('spine-write'):.0f} "
          f"({ratio('spine-write', 'bare'):.0%} of bare)")
    for name, floor in (("quote", "spine-quote"), ("sale", "spine-write")):
        for store in ("fresh", "history"):
            by_round = [a["rps"] / b["rps"] for a, b in zip(runs[f"{store}:{name}"], runs[floor], strict=True)]
            print(f"{store} {name} / {floor} by round: " + ", ".join(f"{x:.0%}" for x in by_round))
    failed = sum(bad(k) for k in runs)
    print(f"non-2xx or socket errors over every run: {failed}")
    for store in ("fresh", "history"):
        pulled = sum(b.events_pulled for b in bg[store])
        print(f"{store}: HQ pulled {pulled} events during the background phases")
        if freed.get(store):
            f = freed[store]
            print(f"{store}: retention ({f['retention_days']} days) would free {f['sales']} sales, "
                  f"{f['lines']} lines, about {f['bytes'] / MB:.1f} MB")
    print("goals: no till figure on the history store more than 20% worse than fresh; reports over a year "
          "< 500 ms; quote >= 75% of spine-quote, sale >= 50% of spine-write")


if __name__ == "__main__":
    main()
