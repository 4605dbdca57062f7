"""Keys per role: random tokens, shown once, stored as SHA-256; verified with a short cache."""

import hashlib
import secrets
import sqlite3
import time
from datetime import datetime

from ..store import keys as repo

ROLES = ("lane", "manager", "hq")
CACHE_SECONDS = 5.0  # a revoke in another process takes effect within this


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(conn: sqlite3.Connection, role: str, now: datetime, label: str = "") -> tuple[str, str]:
    """Make a key for `role`; return (key id, token). The token is not kept: print it once."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key_id = "k_" + secrets.token_hex(4)
    token = f"se_{role}_{secrets.token_urlsafe(24)}"
    repo.insert_key(conn, key_id, role, hash_key(token), label, now)
    return key_id, token


def revoke_key(conn: sqlite3.Connection, key_id: str, now: datetime) -> bool:
    """Revoke a live key; False when there is no live key with this id."""
    return repo.revoke(conn, key_id, now) is not None


def list_keys(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, str | None]]:
    """(key id, role, label, created, revoked) of every key: never the keys themselves."""
    return repo.list_keys(conn)


def rotate_key(conn: sqlite3.Connection, key_id: str, now: datetime) -> tuple[str, str]:
    """Revoke a key and make its successor for the same role and label, in one transaction."""
    old = repo.revoke(conn, key_id, now)
    if old is None:
        raise LookupError(f"no live key {key_id}")
    role, label = old
    return create_key(conn, role, now, label)


class KeyVerifier:
    """Answers "which role has this token?" from the database, cached for a few seconds."""

    def __init__(self, conn_of) -> None:  # noqa: ANN001 - a callable returning this thread's read connection
        self._conn_of = conn_of
        self._cache: dict[str, tuple[tuple[str, str] | None, float]] = {}
        self._live: dict[str, tuple[bool, float]] = {}

    def role(self, token: str) -> str | None:
        found = self.key(token)
        return None if found is None else found[1]

    def key(self, token: str) -> tuple[str, str] | None:
        """(key id, role) of a live key, or None."""
        # keyed by the token itself: this process saw it in the header anyway, and a hit then costs
        # one dict lookup instead of a SHA-256
        hit = self._cache.get(token)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        found = repo.live_key_for_hash(self._conn_of(), hash_key(token))
        if len(self._cache) > 10_000:  # bounded: a flood of bad tokens cannot grow it forever
            self._cache.clear()
        self._cache[token] = (found, now + CACHE_SECONDS)
        return found

    def live(self, key_id: str) -> bool:
        """Whether the key with this id is still live: a staff page session ends with its key."""
        hit = self._live.get(key_id)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        alive = repo.is_live(self._conn_of(), key_id)
        if len(self._live) > 10_000:
            self._live.clear()
        self._live[key_id] = (alive, now + CACHE_SECONDS)
        return alive
