"""Fixtures for sync tests: a chain of edge processes sharing one chain key, and an HQ folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_cluster import Cluster

from harness import EdgeProcess, make_chain


class Chain:
    """Edge processes of one chain; every one started is stopped at the end of the test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.key = make_chain(root)
        self.edges: list[EdgeProcess] = []
        self.stores_file = root / "hq" / "stores.json"
        self.warehouse = root / "hq" / "warehouse.db"
        self.stores_file.parent.mkdir(parents=True, exist_ok=True)

    def edge(self, store_id: str, start: bool = True) -> EdgeProcess:
        e = EdgeProcess(self.root, store_id, self.key)
        self.edges.append(e)
        return e.start() if start else e

    def close(self) -> None:
        for e in self.edges:
            e.stop()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    c = Chain(tmp_path)
    yield c
    c.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server per test process (each xdist worker has its own), started once."""
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_dsn(pg_cluster: Cluster) -> str:
    """A fresh, empty database on the session's server."""
    return pg_cluster.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def wh_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A warehouse target of each engine: an SQLite file path, then a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "wh.db")
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
def wh(wh_target: str):  # noqa: ANN201
    from sync.hq import warehouse

    conn = warehouse.open_warehouse(wh_target)
    yield conn
    conn.close()
