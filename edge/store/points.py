"""Held (pending) points, the points policy, and the ledger sums expiry needs."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.points import PointsPolicy
from . import meta

POLICY_KEY = "points_policy"


def load_policy(conn: sqlite3.Connection) -> PointsPolicy:
    raw = meta.get_meta(conn, POLICY_KEY)
    return PointsPolicy() if raw is None else msgspec.json.decode(raw, type=PointsPolicy)


def save_policy(conn: sqlite3.Connection, policy: PointsPolicy) -> None:
    meta.set_meta(conn, POLICY_KEY, msgspec.json.encode(policy).decode())


def hold(conn: sqlite3.Connection, sale_id: str, member_id: str, points: int, release_at: datetime) -> None:
    conn.execute("INSERT INTO points_pending (sale_id, member_id, points, release_at, status) "
                 "VALUES (?, ?, ?, ?, 'pending')", (sale_id, member_id, points, iso(release_at)))


def due(conn: sqlite3.Connection, now: datetime, member_id: str | None = None) -> list[tuple[str, str, int]]:
    """(sale id, member id, points) held past their release time: all, or one member's."""
    sql = "SELECT sale_id, member_id, points FROM points_pending WHERE status = 'pending' AND release_at <= ?"
    args: tuple = (iso(now),)
    if member_id is not None:
        sql += " AND member_id = ?"
        args += (member_id,)
    return conn.execute(sql + " ORDER BY release_at, sale_id", args).fetchall()


def mark(conn: sqlite3.Connection, sale_id: str, status: str, expect: str = "pending") -> bool:
    return conn.execute("UPDATE points_pending SET status = ? WHERE sale_id = ? AND status = ?",
                        (status, sale_id, expect)).rowcount == 1


def pending_status(conn: sqlite3.Connection, sale_id: str) -> str | None:
    row = conn.execute("SELECT status FROM points_pending WHERE sale_id = ?", (sale_id,)).fetchone()
    return None if row is None else row[0]


def pending_total(conn: sqlite3.Connection, member_id: str) -> int:
    return conn.execute("SELECT coalesce(sum(points), 0) FROM points_pending WHERE member_id = ? "
                        "AND status = 'pending'", (member_id,)).fetchone()[0]


def redeemed_on(conn: sqlite3.Connection, sale_id: str) -> list[tuple[str, int]]:
    """(member id, points spent) by a sale's redemption entries."""
    return conn.execute("SELECT member_id, -points FROM points_ledger WHERE sale_id = ? AND kind = 'redeem'",
                        (sale_id,)).fetchall()


def expiry_sums(conn: sqlite3.Connection, member_id: str, cutoff: datetime) -> tuple[int, int, int]:
    """(accrued before the cutoff, spent ever, expired ever) for first-in-first-out expiry."""
    row = conn.execute(
        "SELECT coalesce(sum(CASE WHEN kind = 'accrue' AND at < ? THEN points ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN kind IN ('redeem', 'reverse', 'adjust') THEN -points ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN kind = 'expire' THEN -points ELSE 0 END), 0) "
        "FROM points_ledger WHERE member_id = ?", (iso(cutoff), member_id)).fetchone()
    return row[0], row[1], row[2]


def members_with_points(conn: sqlite3.Connection) -> list[str]:
    """Every member with points (the first expiry sweep's candidates)."""
    return [r[0] for r in conn.execute("SELECT member_id FROM members WHERE points_balance > 0 ORDER BY member_id")]


def members_with_news(conn: sqlite3.Connection, since: str, last_cutoff: str, cutoff: str) -> list[str]:
    """Members with a ledger entry at or after `since`, or an accrual in (last_cutoff, cutoff]: those
    whose expiring points may have grown since the sweep at `since` (index points_ledger_at)."""
    return sorted({r[0] for r in conn.execute(  # sorted here: ORDER BY led SQLite to walk the member index
        "SELECT member_id FROM points_ledger WHERE at >= ? "
        "UNION ALL SELECT member_id FROM points_ledger WHERE at > ? AND at <= ? AND kind = 'accrue'",
        (since, last_cutoff, cutoff))})
