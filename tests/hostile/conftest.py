"""What the hostile tests share: a demo store served by uvicorn on 127.0.0.1 (the real clock)."""

import pytest

from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo

from support import LiveServer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(server, keys, store): one demo store per test module, served on a free 127.0.0.1 port."""
    data_dir = tmp_path_factory.mktemp("served") / "store"
    init_store(data_dir, demo_config())
    keys = seed_demo(data_dir)
    store = StoreRuntime(data_dir)
    with LiveServer(store) as server:
        yield server, keys, store
    store.close()
