"""The store's published terms and privacy texts, one row per version (table made by migration step 11)."""

import sqlite3

import msgspec

_COLUMNS = "version, terms_zh, terms_en, privacy_zh, privacy_en, published_at"


class PolicyRow(msgspec.Struct, frozen=True):
    version: str
    terms_zh: str | None
    terms_en: str | None
    privacy_zh: str | None
    privacy_en: str | None
    published_at: str


def latest(conn: sqlite3.Connection) -> PolicyRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM policies ORDER BY published_at DESC, rowid DESC LIMIT 1").fetchone()
    return PolicyRow(*row) if row else None


def by_version(conn: sqlite3.Connection, version: str) -> PolicyRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM policies WHERE version = ?", (version,)).fetchone()
    return PolicyRow(*row) if row else None


def insert(conn: sqlite3.Connection, row: PolicyRow) -> None:
    conn.execute(f"INSERT INTO policies ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                 (row.version, row.terms_zh, row.terms_en, row.privacy_zh, row.privacy_en, row.published_at))
