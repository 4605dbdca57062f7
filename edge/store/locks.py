"""Price locks that hold something scarce, and their reservations: what other checkouts must count.

A reservation counts against a campaign's caps (and, for flash units, against the SKU's flash
surplus) for every checkout but its own, until it expires; `expires_at > now` in every count means an
expired reservation stops counting at once, before the upkeep sweep deletes it.
"""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.price_lock import Held


class LockRow(msgspec.Struct, frozen=True, kw_only=True):
    checkout_id: str
    lane_id: str
    cashier_id: str
    member_id: str | None
    recognised: bool
    cart_key: bytes
    priced: bytes
    quoted_at: str
    locked_until: str


_LOCK_FIELDS = tuple(LockRow.__struct_fields__)
_UPSERT_LOCK = (f"INSERT INTO checkout_locks ({', '.join(_LOCK_FIELDS)}) VALUES ({', '.join('?' for _ in _LOCK_FIELDS)}) "
                f"ON CONFLICT (checkout_id) DO UPDATE SET {', '.join(f'{f} = excluded.{f}' for f in _LOCK_FIELDS[1:])}")


def save_lock(conn: sqlite3.Connection, lock: LockRow, held: list[Held], member_id: str | None,
              business_day: str) -> None:
    """Replace the checkout's lock and reservations with these."""
    conn.execute("DELETE FROM reservations WHERE checkout_id = ?", (lock.checkout_id,))
    conn.execute(_UPSERT_LOCK, tuple(getattr(lock, f) for f in _LOCK_FIELDS))
    conn.executemany("INSERT INTO reservations (checkout_id, offer_id, sku, campaign_id, code, member_id, "
                     "business_day, units, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(lock.checkout_id, h.offer_id, h.sku, h.campaign_id, h.code, member_id, business_day, h.units,
                       lock.locked_until) for h in held])


def lock_of(conn: sqlite3.Connection, checkout_id: str) -> LockRow | None:
    r = conn.execute(f"SELECT {', '.join(_LOCK_FIELDS)} FROM checkout_locks WHERE checkout_id = ?",
                     (checkout_id,)).fetchone()
    if r is None:
        return None
    values = dict(zip(_LOCK_FIELDS, r, strict=True))
    values["recognised"] = bool(values["recognised"])
    values["cart_key"], values["priced"] = bytes(values["cart_key"]), bytes(values["priced"])
    return LockRow(**values)


def release(conn: sqlite3.Connection, checkout_id: str) -> int:
    """Drop the checkout's lock and reservations; return how many reservations were given back."""
    n = conn.execute("DELETE FROM reservations WHERE checkout_id = ?", (checkout_id,)).rowcount
    conn.execute("DELETE FROM checkout_locks WHERE checkout_id = ?", (checkout_id,))
    return n


def release_expired(conn: sqlite3.Connection, now: datetime) -> list[str]:
    """Drop every lock (and its reservations) whose time is up; return their checkout ids."""
    at = iso(now)
    gone = [r[0] for r in conn.execute("DELETE FROM checkout_locks WHERE locked_until <= ? RETURNING checkout_id",
                                       (at,))]
    conn.execute("DELETE FROM reservations WHERE expires_at <= ?", (at,))
    return gone


def latest_of_lane(conn: sqlite3.Connection, lane_id: str) -> str | None:
    """The checkout id of the lane's latest stored lock."""
    row = conn.execute("SELECT checkout_id FROM checkout_locks WHERE lane_id = ? ORDER BY quoted_at DESC LIMIT 1",
                       (lane_id,)).fetchone()
    return None if row is None else row[0]


def stored_locks(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(checkout id, lane id) of every stored lock."""
    return conn.execute("SELECT checkout_id, lane_id FROM checkout_locks").fetchall()


def has_lock(conn: sqlite3.Connection, checkout_id: str) -> bool:
    return conn.execute("SELECT 1 FROM checkout_locks WHERE checkout_id = ?", (checkout_id,)).fetchone() is not None


class HeldUses(msgspec.Struct):
    total: int = 0
    today: int = 0
    member: int = 0


def held_uses(conn: sqlite3.Connection, campaign_ids: list[str], business_day: str, member_id: str | None,
              now: datetime, other_than: str | None) -> dict[str, HeldUses]:
    """Uses of these campaigns that other checkouts' live locks hold: in total, on this business day,
    by this member (a flash reservation counts its units, any other one use)."""
    marks = ", ".join("?" for _ in campaign_ids)
    rows = conn.execute(
        "SELECT campaign_id, sum(n), sum(CASE WHEN business_day = ? THEN n ELSE 0 END), "
        "sum(CASE WHEN member_id = ? THEN n ELSE 0 END) FROM (SELECT campaign_id, business_day, member_id, "
        "CASE WHEN units > 0 THEN units ELSE 1 END AS n FROM reservations "
        f"WHERE campaign_id IN ({marks}) AND expires_at > ? AND checkout_id != ?) GROUP BY campaign_id",
        (business_day, member_id or "", *campaign_ids, iso(now), other_than or ""))
    return {r[0]: HeldUses(r[1], r[2], r[3]) for r in rows}


def flash_stock(conn: sqlite3.Connection, skus: list[str], now: datetime, other_than: str | None) -> dict[str, tuple[int, int]]:
    """(on hand, flash units other checkouts' live locks hold) of each of these SKUs that has an
    inventory row: one statement, since a quote that reserves reads it inside the writer."""
    marks = ", ".join("?" for _ in skus)
    rows = conn.execute(
        "SELECT i.sku, i.on_hand, (SELECT coalesce(sum(r.units), 0) FROM reservations r WHERE r.sku = i.sku "
        "AND r.units > 0 AND r.expires_at > ? AND r.checkout_id != ?) "
        f"FROM inventory i WHERE i.sku IN ({marks})", (iso(now), other_than or "", *skus))
    return {r[0]: (r[1], r[2]) for r in rows}


def held_codes(conn: sqlite3.Connection, codes: list[str], now: datetime, other_than: str | None) -> set[str]:
    """The coupon codes among these that another checkout's live lock holds."""
    marks = ", ".join("?" for _ in codes)
    return {r[0] for r in conn.execute(f"SELECT code FROM reservations WHERE code IN ({marks}) AND expires_at > ? "
                                       "AND checkout_id != ?", (*codes, iso(now), other_than or ""))}


def any_live(conn: sqlite3.Connection, now: datetime) -> bool:
    """Whether any reservation is live: when none is, pricing skips counting them."""
    return conn.execute("SELECT 1 FROM reservations WHERE expires_at > ? LIMIT 1", (iso(now),)).fetchone() is not None
