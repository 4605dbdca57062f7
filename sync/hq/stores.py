"""The stores file HQ pulls from: where each store is and the keys to pull it (HTTP only).

The file is JSON: a list of {store_id, url, key, sync_key}. `key` is the store's `hq` API key;
`sync_key` (hex) checks the store's batch signatures and signs its config bundles. The file is
a secret: keep it as you would the keys themselves.
"""

import json
import os
import zlib
from pathlib import Path
from typing import Annotated

import msgspec


class StoreEntry(msgspec.Struct, frozen=True, kw_only=True):
    store_id: Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z0-9_.-]{1,64}\Z")]
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
