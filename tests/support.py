"""Test helpers shared across folders: a movable clock, a client per role, a live server, ports.

(Imported by name: `from support import LiveServer`. Each folder's conftest.py holds fixtures only.)
"""

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn

from edge.app import create_app
from edge.services.runtime import StoreRuntime

# Tuesday 2026-11-24 10:00 in Shanghai: not a member day
TUESDAY_10AM_SHANGHAI = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class MovableClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = TUESDAY_10AM_SHANGHAI) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Api:
    """An httpx client plus a key per role: `api.post(path, json=..., role="manager")`."""

    def __init__(self, client: httpx.Client, keys: dict[str, str]) -> None:
        self.client = client
        self.keys = keys

    def _headers(self, role: str | None, headers: dict | None) -> dict:
        out = dict(headers or {})
        if role is not None:
            out["Authorization"] = f"Bearer {self.keys[role]}"
        return out

    def get(self, path: str, role: str | None = "lane", **kw) -> httpx.Response:
        return self.client.get(path, headers=self._headers(role, kw.pop("headers", None)), **kw)

    def post(self, path: str, role: str | None = "lane", **kw) -> httpx.Response:
        return self.client.post(path, headers=self._headers(role, kw.pop("headers", None)), **kw)

    def put(self, path: str, role: str | None = "manager", **kw) -> httpx.Response:
        return self.client.put(path, headers=self._headers(role, kw.pop("headers", None)), **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a background thread: real sockets, real concurrency."""

    def __init__(self, store: StoreRuntime) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(store), host="127.0.0.1", port=self.port, access_log=False,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # wait on the server's own flag, bounded
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
