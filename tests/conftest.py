"""Fixtures named for what they return: a clock you can move, a fresh demo store, clients by role."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo

from support import Api, LiveServer, MovableClock


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
def store(store_dir: tuple[Path, dict[str, str]], clock: MovableClock) -> Iterator[StoreRuntime]:
    s = StoreRuntime(store_dir[0], clock=clock)
    yield s
    s.close()


@pytest.fixture
def api(store: StoreRuntime, store_dir: tuple[Path, dict[str, str]]) -> Iterator[Api]:
    """The real app in process over httpx (ASGI), on the real SQLite file."""
    with TestClient(create_app(store)) as client:
        yield Api(client, store_dir[1])


@pytest.fixture
def live(store: StoreRuntime, store_dir: tuple[Path, dict[str, str]]) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    with LiveServer(store) as server:
        yield server, store_dir[1]
