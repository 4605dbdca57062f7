"""Faults of the disk and of the far ends: the till gets a clear 503 problem, the POS plugin journals,
nothing is corrupted, and the service resumes by itself when the fault clears.

- A full disk: the store's data dir on a small tmpfs, filled up by a file (as root, which CI is).
  Where mounting is not permitted, the test VFS fails writes with SQLITE_FULL instead, and says so.
- A read-only database mid-load: Linux refuses to remount a file system read-only while SQLite
  holds the file open for writing ("mount point is busy"), so the test VFS (tests/powercut.py)
  fails every write as EROFS does, under 8 lanes, and heals.
- An HQ that hangs (a config server that never answers, a puller that sends half a body or never
  reads) never holds a lane.
"""

import asyncio
import os
import random
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import powercut
import pytest
from reliability import check_store, prepare_store, run_load

from edge.services.runtime import StoreRuntime
from edge.store.connection import VFS_ENV
from pos_plugin import EdgeClient, JournaledSale, LineIn, OfflineJournal, Payment, Sale

from support import LiveServer, free_port


class Tmpfs:
    """A small tmpfs holding the store; `fill()` takes every free byte, `clear()` gives them back."""

    def __init__(self, root: Path, size: str = "16m") -> None:
        self.root = root
        root.mkdir(parents=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root)],
                              capture_output=True, text=True)
        self.mounted = done.returncode == 0
        self.filler = root / "filler"

    def fill(self) -> None:
        chunk = b"\0" * 65536
        with open(self.filler, "ab") as f:
            while True:
                try:
                    f.write(chunk)
                    f.flush()
                except OSError:  # ENOSPC: the disk is full
                    break
        for size in (4096, 512, 1):  # the last blocks too
            try:
                with open(self.filler, "ab") as f:
                    while True:
                        f.write(b"\0" * size)
                        f.flush()
            except OSError:
                pass

    def clear(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "disk")
    yield disk
    disk.unmount()


def sale(n: int, prefix: str) -> dict:
    return {"sale_id": f"{prefix}-{n}", "lane_id": "L1", "cashier_id": "C1",
            "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}}


def assert_503_problem(r: httpx.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("store-unavailable") and int(r.headers["retry-after"]) > 0


def test_a_full_disk_is_a_503_the_plugin_journals_and_sales_resume_when_space_returns(small_disk, tmp_path):
    fault = None
    if not small_disk.mounted:  # no mount here (not root): the VFS's SQLITE_FULL stands in for ENOSPC
        fault = powercut.install()
        fault.forget()
        os.environ[VFS_ENV] = powercut.NAME
    data_dir = small_disk.root / "store"
    keys = prepare_store(data_dir)
    store = StoreRuntime(data_dir)
    journal = OfflineJournal(tmp_path / "pos-journal.db")
    acked: dict[str, dict] = {}
    try:
        with LiveServer(store) as server, httpx.Client(base_url=server.url, timeout=10, headers={
                "Authorization": f"Bearer {keys['lane']}"}) as lane, \
                EdgeClient(server.url, keys["lane"], "L1", "C1", retries=1, backoff=lambda _: None) as edge:
            r = lane.post("/api/v1/sales", json=sale(0, "before"))
            assert r.status_code == 201
            acked["before-0"] = r.json()
            small_disk.fill() if fault is None else fault.fail_writes(powercut.SQLITE_FULL)

            refused = 0
            for n in range(400):  # the WAL grows into the full disk within a few sales
                r = lane.post("/api/v1/sales", json=sale(n, "full"))
                if r.status_code == 201:
                    acked[f"full-{n}"] = r.json()
                    continue
                assert_503_problem(r)
                refused += 1
                if refused >= 3:
                    break
            assert refused >= 3, "the full disk never refused a write"
            assert httpx.get(f"{server.url}/healthz").status_code == 503

            body = edge.sale_body("pos-1", [LineIn("LATTE", 2)], Payment("cash"))
            kept = journal.record_sale(edge, body)
            assert isinstance(kept, JournaledSale) and kept.state == "waiting"

            small_disk.clear() if fault is None else fault.heal()
            r = lane.post("/api/v1/sales", json=sale(0, "after"))  # no restart, no operator
            assert r.status_code == 201, r.text
            acked["after-0"] = r.json()
            assert journal.flush(edge) == 1 and journal.waiting() == 0
            assert httpx.get(f"{server.url}/healthz").status_code == 200
            assert isinstance(edge.post_sale(body), Sale)  # the journaled sale, recorded once
    finally:
        store.close()
        journal.close()
        os.environ.pop(VFS_ENV, None)
    verdict = check_store(data_dir / "store.db", {**acked, "pos-1": {}})
    assert verdict.ok, verdict


def test_a_database_gone_read_only_under_8_lanes_answers_503_and_heals_by_itself(tmp_path):
    data_dir = tmp_path / "store"
    keys = prepare_store(data_dir)
    fault = powercut.install()
    fault.forget()
    os.environ[VFS_ENV] = powercut.NAME
    store = StoreRuntime(data_dir)
    try:
        with LiveServer(store) as server:
            async def load() -> tuple:
                async with httpx.AsyncClient(base_url=server.url, timeout=10,
                                             headers={"Authorization": f"Bearer {keys['lane']}"}) as client:
                    first = await run_load(client, 8, 8, random.Random(1), "ok1")
                    fault.fail_writes()  # the file system went read-only under the lanes
                    during = await run_load(client, 8, 4, random.Random(2), "ro")
                    fault.heal()
                    after = await run_load(client, 8, 8, random.Random(3), "ok2")
                    return first, during, after

            first, during, after = asyncio.run(load())
    finally:
        store.close()
        os.environ.pop(VFS_ENV, None)
        fault.forget()
    for result in (first, during, after):
        assert not [k for k in result.statuses if k[1] >= 500 and k[1] != 503], result.statuses
    assert during.statuses[("sale", 503)] > 0 and not during.acked
    assert len(first.acked) > 30 and len(after.acked) > 30  # resumed without a restart
    verdict = check_store(data_dir / "store.db", {**first.acked, **after.acked})
    assert verdict.ok, verdict


class HangingPeer:
    """A TCP server on 127.0.0.1 that accepts and then never says a word."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._closing = threading.Event()

    def __enter__(self) -> "HangingPeer":
        self._server.settimeout(0.1)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._server.accept()
                self._held.append(conn)
            except TimeoutError:
                continue

    def holding(self) -> bool:
        """Still up, holding every connection it accepted without a word."""
        return not self._closing.is_set()

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._server.close()


def test_an_hq_that_hangs_never_holds_a_lane(store: StoreRuntime, store_dir):
    from sync.config_pull import pull_config

    keys = store_dir[1]
    with HangingPeer() as hq, LiveServer(store) as server:
        # HQ's side of a pull that stalls: half a config body sent, and a batch list never read
        stalled = socket.create_connection(("127.0.0.1", server.port))
        stalled.sendall(b"POST /sync/v1/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + keys["hq"].encode()
                        + b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"store_id\": ")
        unread = socket.create_connection(("127.0.0.1", server.port))
        unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        unread.sendall(b"GET /sync/v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + keys["hq"].encode()
                       + b"\r\n\r\n" * 1)

        async def sell_while_hq_hangs() -> list[bool]:
            # the edge's own config pull from an HQ that accepted and never answers, in the same loop
            # as the lanes' client, as the sync loop would run it beside the app
            pull = asyncio.create_task(pull_config(store, f"http://127.0.0.1:{hq.port}/config", timeout=30))
            hq_hanging = []  # for each sale: HQ was still hanging when its answer came
            async with httpx.AsyncClient(base_url=server.url, timeout=10,
                                         headers={"Authorization": f"Bearer {keys['lane']}"}) as lane:
                for n in range(20):
                    r = await lane.post("/api/v1/sales", json=sale(n, "hq-hangs"))
                    assert r.status_code == 201, r.text
                    hq_hanging.append(not pull.done() and hq.holding())
            assert not pull.done()  # HQ is still hanging while every sale went through
            pull.cancel()
            return hq_hanging

        hq_hanging = asyncio.run(sell_while_hq_hangs())
        stalled.close()
        unread.close()
    assert hq_hanging == [True] * 20  # a lane never waited on HQ: each sale answered while HQ still hung


def test_a_config_pull_from_an_hq_that_never_answers_gives_up_by_its_deadline(store: StoreRuntime):
    from sync.config_pull import ConfigPullError, pull_config

    with HangingPeer() as hq:
        with pytest.raises(ConfigPullError) as refused:
            asyncio.run(pull_config(store, f"http://127.0.0.1:{hq.port}/config", timeout=0.5))
        # it gave up by itself (its deadline), while HQ still held the connection open
        assert "Timeout" in str(refused.value) and hq.holding()
