"""Build `fixtures/oldest-store.db`: a store made by the first schema this project shipped.

Not a test: run it by hand against a checkout of the first commit, which creates the store with
that commit's own `init`, serves it with that commit's own `serve`, and fills it over HTTP:

    git worktree add --detach /tmp/oldest dbfeb80
    .venv/bin/python tests/deploy/make_oldest_store.py /tmp/oldest

The old code runs from the checkout (its working directory and PYTHONPATH), with this venv's libraries.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
OUT = HERE / "fixtures" / "oldest-store.db"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(checkout: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    work = Path(tempfile.mkdtemp())
    data = work / "store"
    seed = ("import json, sys; from edge.services.setup import init_store, seed_demo, demo_config; "
            "init_store(sys.argv[1], demo_config(store_id='oldest-001')); print(json.dumps(seed_demo(sys.argv[1])))")
    keys = json.loads(subprocess.run([sys.executable, "-c", seed, str(data)], env=env, cwd=checkout,
                                     check=True, capture_output=True, text=True).stdout)
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "edge.cli", "serve", "--data-dir", str(data), "--port", str(port)],
                              env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the old server did not start")
            time.sleep(0.1)
        lane = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys['lane']}"}, timeout=10)
        members = []
        for n, phone in enumerate(("13800138000", "13900139001", "13700137002")):
            r = lane.post("/api/v1/members", json={
                "phone": phone, "consent": {"policy_version": "2026-01", "granted": True, "payment_link": n == 0},
                "source": "cashier", "lane_id": "L1", "cashier_id": "C7", "name": f"Member {n}"})
            r.raise_for_status()
            members.append(r.json()["member_id"])
        sales = [
            {"sale_id": "old-1", "member_id": members[0], "lines": [{"sku": "LATTE", "qty": 2}],
             "payment": {"method": "wechat_pay", "provider": "wechat", "scope": "wx-app", "payer_id": "o6_old_payer"}},
            {"sale_id": "old-2", "lines": [{"sku": "CROISSANT", "qty": 3}], "payment": {"method": "cash"}},
            {"sale_id": "old-3", "member_id": members[1], "lines": [{"sku": "BEANS-250G", "qty": 1},
                                                                    {"sku": "AMERICANO", "qty": 1}],
             "payment": {"method": "alipay"}},
            {"sale_id": "old-4", "member_id": members[2], "lines": [{"sku": "GIFT-CARD-100", "qty": 1}],
             "payment": {"method": "card"}},
        ]
        for sale in sales:
            lane.post("/api/v1/sales", json={"lane_id": "L1", "cashier_id": "C7", **sale}).raise_for_status()
        lane.post("/api/v1/sales/old-2/void", json={"reason": "customer changed their mind"}).raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=20)
    with sqlite3.connect(data / "store.db") as conn:  # one file: fold the WAL in
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    OUT.parent.mkdir(exist_ok=True)
    shutil.copyfile(data / "store.db", OUT)
    (OUT.parent / "oldest-store.keys.json").write_text(json.dumps(keys, indent=1) + "\n")
    shutil.rmtree(work)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) from {checkout}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
