"""Store identity, config and secrets."""

import sqlite3

import msgspec

from ..config import StoreConfig


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def load_config(conn: sqlite3.Connection) -> StoreConfig:
    raw = get_meta(conn, "config")
    if raw is None:
        raise LookupError("this database has no store config: run `store-edge init` first")
    return msgspec.json.decode(raw, type=StoreConfig)


def save_config(conn: sqlite3.Connection, config: StoreConfig) -> None:
    set_meta(conn, "config", msgspec.json.encode(config).decode())


def get_secret(conn: sqlite3.Connection, name: str) -> bytes:
    row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise LookupError(f"secret {name!r} is missing")
    return bytes(row[0])


def set_secret(conn: sqlite3.Connection, name: str, value: bytes) -> None:
    conn.execute("INSERT INTO secrets (name, value) VALUES (?, ?) "
                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))
