"""Fixtures for sync tests: a chain of edge processes sharing one chain key, and an HQ folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest
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
