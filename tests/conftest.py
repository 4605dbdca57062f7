"""Fixtures named for what they return: a clock you can move, a fresh demo store, clients by role."""

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar.testing import TestClient

from edge.app import create_app
from edge.services.runtime import Store
from edge.services.setup import demo_config, init_store, seed_demo

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


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def store_dir(tmp_path: Path, clock: MovableClock) -> tuple[Path, dict[str, str]]:
    """A new demo store on disk (catalog, tiers, Friday member day, stock) and its keys."""
    data_dir = tmp_path / "store"
    init_store(data_dir, demo_config(), clock=clock)
    return data_dir, seed_demo(data_dir, clock=clock)


@pytest.fixture
def store(store_dir: tuple[Path, dict[str, str]], clock: MovableClock) -> Iterator[Store]:
    s = Store(store_dir[0], clock=clock)
    yield s
    s.close()


@pytest.fixture
def api(store: Store, store_dir: tuple[Path, dict[str, str]]) -> Iterator[Api]:
    """The real app in process over httpx (ASGI), on the real SQLite file."""
    with TestClient(create_app(store)) as client:
        yield Api(client, store_dir[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a background thread: real sockets, real concurrency."""

    def __init__(self, store: Store) -> None:
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


@pytest.fixture
def live(store: Store, store_dir: tuple[Path, dict[str, str]]) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    with LiveServer(store) as server:
        yield server, store_dir[1]
