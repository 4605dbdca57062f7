"""Real processes for sync tests: edge servers (`store-edge serve`), the HQ puller, and a faulty proxy."""

import itertools
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from edge.config import StoreConfig
from sync.hq.pilot.provision import chain_key, provision_store
from sync.hq.stores import StoreEntry, save_stores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `store-edge ...` as its own process and wait for it (bounded)."""
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


class EdgeProcess:
    """One store served by `store-edge serve` on 127.0.0.1; kill and restart it like a power cut."""

    def __init__(self, root: Path, store_id: str, chain: bytes) -> None:
        self.store_id = store_id
        self.data_dir = root / store_id
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.entry, self.keys = provision_store(
            self.data_dir, StoreConfig(store_id=store_id, name=f"Store {store_id}", public_base_url=self.url),
            chain, self.url)
        self.proc: subprocess.Popen | None = None
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def start(self) -> "EdgeProcess":
        log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "serve", "--data-dir", str(self.data_dir),
                                      "--port", str(self.port)], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while True:  # wait on the server answering, bounded
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"edge {self.store_id} did not start: see {self.data_dir / 'serve.log'}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, like pulling the plug."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.client.close()

    def call(self, method: str, path: str, role: str = "lane", **kw) -> httpx.Response:
        return self.client.request(method, path, headers={"Authorization": f"Bearer {self.keys[role]}"}, **kw)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.data_dir / 'store.db'}?mode=ro", uri=True)

    def outbox_ids(self) -> set[str]:
        with self.db() as conn:
            return {r[0] for r in conn.execute("SELECT event_id FROM outbox")}

    def status(self) -> dict:
        return self.call("GET", "/sync/v1/status", role="hq").json()


def write_stores(path: Path, entries: list[StoreEntry]) -> Path:
    save_stores(path, entries)
    return path


def hq_event_ids(warehouse: Path, store_id: str) -> list[str]:
    with sqlite3.connect(warehouse) as conn:
        return [r[0] for r in conn.execute("SELECT event_id FROM events WHERE store_id = ?", (store_id,))]


def make_chain(root: Path) -> bytes:
    return chain_key(root / "chain.key")


class FaultyProxy:
    """A TCP proxy on 127.0.0.1 in front of one edge that understands just enough HTTP/1.1 to misbehave.

    `rule(method, path) -> action` decides per request: "pass", "cut" (send half the response
    body then hang up), "drop" (hang up without forwarding), "hold" (forward, then never answer
    until the proxy closes), "plain+flip" (ask for an uncompressed body and flip one byte of it).
    """

    def __init__(self, upstream_port: int, rule: Callable[[str, str], str]) -> None:
        self.upstream_port = upstream_port
        self.rule = rule
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[tuple[str, str, str]] = []
        self._closing = threading.Event()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "FaultyProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _read_message(sock: socket.socket, buf: bytearray) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = bytearray(rest)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
        buf[:] = body[length:]
        return head, bytes(body[:length])

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        cbuf, ubuf = bytearray(), bytearray()
        try:
            while not self._closing.is_set():
                request = self._read_message(client, cbuf)
                if request is None:
                    return
                head, body = request
                method, path = head.split(b" ")[:2]
                action = self.rule(method.decode(), path.decode())
                self.seen.append((method.decode(), path.decode(), action))
                if action == "drop":
                    return
                if action == "plain+flip":
                    head = head.replace(b"gzip", b"identity")
                upstream.sendall(head + b"\r\n\r\n" + body)
                response = self._read_message(upstream, ubuf)
                if response is None:
                    return
                rhead, rbody = response
                if action == "hold":
                    self._closing.wait(timeout=60)
                    return
                if action == "cut":
                    client.sendall(rhead + b"\r\n\r\n" + rbody[: len(rbody) // 2])
                    return
                if action == "plain+flip" and rbody:
                    i = len(rbody) // 2
                    rbody = rbody[:i] + bytes([rbody[i] ^ 0x01]) + rbody[i + 1:]
                client.sendall(rhead + b"\r\n\r\n" + rbody)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


def once(action: str, method: str, prefix: str) -> Callable[[str, str], str]:
    """A rule that misbehaves on the first matching request only."""
    fired = threading.Event()

    def rule(m: str, path: str) -> str:
        if m == method and path.startswith(prefix) and not fired.is_set():
            fired.set()
            return action
        return "pass"

    return rule


def always(action: str, method: str, prefix: str) -> Callable[[str, str], str]:
    return lambda m, path: action if m == method and path.startswith(prefix) else "pass"




_phones = itertools.count(13900000001)


def sell(edge: EdgeProcess, sales: int, joins: int = 1, prefix: str = "s") -> int:
    """Enrol `joins` members and record `sales` sales at a store over HTTP; return the sales made."""
    members = []
    for _ in range(joins):
        r = edge.call("POST", "/api/v1/members", json={
            "phone": str(next(_phones)), "consent": {"policy_version": "2026-01", "granted": True},
            "source": "cashier", "lane_id": "L1", "cashier_id": "C1"})
        assert r.status_code == 201, r.text
        members.append(r.json()["member_id"])
    for n in range(sales):
        body = {"sale_id": f"{prefix}-{edge.store_id}-{n}", "lane_id": "L1", "cashier_id": "C1",
                "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}}
        if members and n % 2 == 0:
            body["member_id"] = members[n % len(members)]
        r = edge.call("POST", "/api/v1/sales", json=body)
        assert r.status_code == 201, r.text
    return sales


def next_phone() -> str:
    return str(next(_phones))
