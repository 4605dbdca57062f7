"""Coupon instances: issued to a member with a code and an expiry, redeemed once, restored on void."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso


class CouponRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    campaign_id: str
    member_id: str | None
    source: str
    status: str
    issued_at: str
    expires_at: str
    redeemed_sale_id: str | None = None
    redeemed_at: str | None = None


FIELDS = tuple(CouponRow.__struct_fields__)
_SELECT = f"SELECT {', '.join(FIELDS)} FROM coupons"


def _row(r: tuple | None) -> CouponRow | None:
    return None if r is None else CouponRow(**dict(zip(FIELDS, r, strict=True)))


def insert_coupon(conn: sqlite3.Connection, coupon: CouponRow, issue_key: str) -> bool:
    """Insert a coupon; False when one was already issued for this key (a retry, or a second reason)."""
    cur = conn.execute(f"INSERT INTO coupons ({', '.join(FIELDS)}, issue_key) VALUES "
                       f"({', '.join('?' for _ in FIELDS)}, ?) ON CONFLICT (issue_key) DO NOTHING",
                       (*(getattr(coupon, f) for f in FIELDS), issue_key))
    return cur.rowcount == 1


def by_issue_key(conn: sqlite3.Connection, issue_key: str) -> CouponRow | None:
    return _row(conn.execute(f"{_SELECT} WHERE issue_key = ?", (issue_key,)).fetchone())


def by_code(conn: sqlite3.Connection, code: str) -> CouponRow | None:
    return _row(conn.execute(f"{_SELECT} WHERE code = ?", (code,)).fetchone())


def usable_for(conn: sqlite3.Connection, member_id: str, now: datetime) -> list[CouponRow]:
    """The member's issued coupons that have not expired, soonest expiry first."""
    rows = conn.execute(f"{_SELECT} WHERE member_id = ? AND status = 'issued' AND expires_at > ? "
                        "ORDER BY expires_at, code", (member_id, iso(now)))
    return [CouponRow(**dict(zip(FIELDS, r, strict=True))) for r in rows]


def redeem(conn: sqlite3.Connection, code: str, sale_id: str, now: datetime, honour_expired: bool = False) -> bool:
    """Mark the coupon redeemed by this sale; False when it was not issued-and-valid (used, expired).
    `honour_expired`: a coupon past its expiry (or marked expired) is redeemed too: a locked price
    that included it was paid."""
    if honour_expired:
        return conn.execute("UPDATE coupons SET status = 'redeemed', redeemed_sale_id = ?, redeemed_at = ? "
                            "WHERE code = ? AND status IN ('issued', 'expired')",
                            (sale_id, iso(now), code)).rowcount == 1
    return conn.execute("UPDATE coupons SET status = 'redeemed', redeemed_sale_id = ?, redeemed_at = ? "
                        "WHERE code = ? AND status = 'issued' AND expires_at > ?",
                        (sale_id, iso(now), code, iso(now))).rowcount == 1


def restore_for_sale(conn: sqlite3.Connection, sale_id: str) -> list[CouponRow]:
    """Give the coupons a voided sale redeemed back to their members; return them."""
    rows = conn.execute("UPDATE coupons SET status = 'issued', redeemed_sale_id = NULL, redeemed_at = NULL "
                        f"WHERE redeemed_sale_id = ? AND status = 'redeemed' RETURNING {', '.join(FIELDS)}",
                        (sale_id,)).fetchall()
    return [CouponRow(**dict(zip(FIELDS, r, strict=True))) for r in rows]


def expire_due(conn: sqlite3.Connection, now: datetime) -> list[CouponRow]:
    """Mark issued coupons past their expiry as expired; return them."""
    rows = conn.execute(f"UPDATE coupons SET status = 'expired' WHERE status = 'issued' AND expires_at <= ? "
                        f"RETURNING {', '.join(FIELDS)}", (iso(now),)).fetchall()
    return [CouponRow(**dict(zip(FIELDS, r, strict=True))) for r in rows]


def count_by_source(conn: sqlite3.Connection, member_id: str, source: str) -> int:
    return conn.execute("SELECT count(*) FROM coupons WHERE member_id = ? AND source = ?",
                        (member_id, source)).fetchone()[0]


def count_for_campaign(conn: sqlite3.Connection, campaign_id: str, member_id: str) -> int:
    """Coupons of a campaign a member holds or held; revoked ones (a voided first sale's) do not count."""
    return conn.execute("SELECT count(*) FROM coupons WHERE campaign_id = ? AND member_id = ? AND status != 'revoked'",
                        (campaign_id, member_id)).fetchone()[0]


def count_issued(conn: sqlite3.Connection, campaign_id: str) -> int:
    """Coupons of a campaign issued to anyone; revoked ones do not count."""
    return conn.execute("SELECT count(*) FROM coupons WHERE campaign_id = ? AND status != 'revoked'",
                        (campaign_id,)).fetchone()[0]


def revoke_unused(conn: sqlite3.Connection, issue_keys: list[str]) -> list[CouponRow]:
    """Revoke the coupons issued under these keys that are still unused; return them."""
    marks = ", ".join("?" for _ in issue_keys)
    rows = conn.execute(f"UPDATE coupons SET status = 'revoked' WHERE issue_key IN ({marks}) AND status = 'issued' "
                        f"RETURNING {', '.join(FIELDS)}", issue_keys).fetchall()
    return [CouponRow(**dict(zip(FIELDS, r, strict=True))) for r in rows]
