"""The store's sync settings, kept in store_meta beside its other config (one file is the whole store)."""

import sqlite3

import msgspec

from edge.store import meta

KEY = "sync.settings"


class SyncSettings(msgspec.Struct, frozen=True, kw_only=True):
    batch_max_events: int = 1000  # sealing by count: a batch body stays well under a megabyte
    seal_max_age_seconds: int = 300  # sealing by age: the background sealer closes older events
    retention_hours: int = 168  # acknowledged batches are kept this long before pruning
    hq_config_url: str | None = None  # where the edge may pull its config bundle itself


def load(conn: sqlite3.Connection) -> SyncSettings:
    raw = meta.get_meta(conn, KEY)
    return SyncSettings() if raw is None else msgspec.json.decode(raw, type=SyncSettings)


def save(conn: sqlite3.Connection, settings: SyncSettings) -> None:
    meta.set_meta(conn, KEY, msgspec.json.encode(settings).decode())
