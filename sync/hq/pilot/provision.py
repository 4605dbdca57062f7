"""Provisioning a pilot's stores from HQ's machine: store files of one chain (the same chain key).

This is the one part of `sync/hq` that writes store databases directly (through the edge's own
setup), for a pilot or a simulation where HQ and the stores share a machine or a disk image. The
puller, warehouse, reports and publishing reach stores over HTTP only.
"""

import os
import secrets
from pathlib import Path

from edge.config import StoreConfig
from edge.domain.clock import Clock, system_clock
from edge.services.keys import create_key
from edge.services.runtime import DB_NAME
from edge.services.setup import init_store, seed_demo
from edge.store import meta
from edge.store.connection import open_database

from ..stores import StoreEntry


def chain_key(path: Path | str) -> bytes:
    """The chain key in `path` (hex), made on first use: every store of the chain gets the same one."""
    path = Path(path)
    if not path.exists():
        path.write_text(secrets.token_hex(32) + "\n")
        os.chmod(path, 0o600)
    return bytes.fromhex(path.read_text().strip())


def provision_store(data_dir: Path | str, config: StoreConfig, chain: bytes, url: str, *, demo: bool = True,
                    clock: Clock = system_clock) -> tuple[StoreEntry, dict[str, str]]:
    """Create a store of the chain; return its stores-file entry and its keys (lane, manager, hq)."""
    init_store(data_dir, config, clock=clock, chain_key=chain)
    if demo:
        keys = seed_demo(data_dir, clock=clock)
    else:
        db = open_database(Path(data_dir) / DB_NAME)
        with db.atomic():
            keys = {"hq": create_key(db.conn, "hq", clock(), label="hq puller")[1]}
        db.conn.close()
    db = open_database(Path(data_dir) / DB_NAME)
    try:
        sync_key = meta.get_secret(db.conn, "sync_key")
    finally:
        db.conn.close()
    return StoreEntry(store_id=config.store_id, url=url, key=keys["hq"], sync_key=sync_key.hex()), keys


def store_config(store_id: str, name: str, timezone: str, public_url: str) -> StoreConfig:
    return StoreConfig(store_id=store_id, name=name, timezone=timezone, public_base_url=public_url)
