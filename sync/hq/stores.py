"""The stores file HQ pulls from, and provisioning stores of one chain (same chain key).

The file is JSON: a list of {store_id, url, key, sync_key}. `key` is the store's `hq` API key;
`sync_key` (hex) checks the store's batch signatures and signs its config bundles. The file is
a secret: keep it as you would the keys themselves.
"""

import json
import os
import secrets
import zlib
from pathlib import Path
from typing import Annotated

import msgspec

from edge.config import StoreConfig
from edge.domain.clock import Clock, system_clock
from edge.services.keys import create_key
from edge.services.runtime import DB_NAME
from edge.services.setup import init_store, seed_demo
from edge.store import meta
from edge.store.connection import open_database


class StoreEntry(msgspec.Struct, frozen=True, kw_only=True):
    store_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    url: str
    key: str
    sync_key: str  # hex

    @property
    def sync_key_bytes(self) -> bytes:
        return bytes.fromhex(self.sync_key)


def load_stores(path: Path | str) -> list[StoreEntry]:
    return msgspec.json.decode(Path(path).read_bytes(), type=list[StoreEntry])


def save_stores(path: Path | str, entries: list[StoreEntry]) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(json.dumps([msgspec.to_builtins(e) for e in entries], indent=1).encode())
    os.chmod(tmp, 0o600)
    tmp.replace(path)  # atomic: a crash never leaves half a stores file


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


def add_entry(path: Path | str, entry: StoreEntry) -> None:
    entries = [e for e in (load_stores(path) if Path(path).exists() else []) if e.store_id != entry.store_id]
    save_stores(path, [*entries, entry])


def in_shard(store_id: str, shard: str | None) -> bool:
    """Whether a store belongs to shard "I/N" (stable across runs), so N pullers can split the chain."""
    if not shard:
        return True
    index, _, count = shard.partition("/")
    return zlib.crc32(store_id.encode()) % int(count) == int(index)


def parse_shard(text: str) -> str:
    """argparse type for --shard I/N."""
    index, sep, count = text.partition("/")
    if not sep or not index.isdigit() or not count.isdigit() or not 0 <= int(index) < int(count):
        raise ValueError(text)
    return text
