"""Scan-to-join rows: standees, checkout joins, member-code replays, member sessions, referral codes."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.referral import new_code


class Standee(msgspec.Struct, frozen=True, kw_only=True):
    standee_id: str
    short_code: str
    label: str
    location: str
    welcome_campaign_id: str | None
    scans: int
    created_at: str
    revoked_at: str | None
    joins: int = 0


_STANDEE = ("SELECT s.standee_id, s.short_code, s.label, s.location, s.welcome_campaign_id, s.scans, s.created_at, "
            "s.revoked_at, (SELECT count(*) FROM members m WHERE m.join_standee_id = s.standee_id) FROM standees s")


def _standee(row: tuple | None) -> Standee | None:
    if row is None:
        return None
    return Standee(standee_id=row[0], short_code=row[1], label=row[2], location=row[3], welcome_campaign_id=row[4],
                   scans=row[5], created_at=row[6], revoked_at=row[7], joins=row[8])


def insert_standee(conn: sqlite3.Connection, s: Standee) -> None:
    conn.execute("INSERT INTO standees (standee_id, short_code, label, location, welcome_campaign_id, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (s.standee_id, s.short_code, s.label, s.location, s.welcome_campaign_id, s.created_at))


def standee(conn: sqlite3.Connection, standee_id: str) -> Standee | None:
    return _standee(conn.execute(f"{_STANDEE} WHERE s.standee_id = ?", (standee_id,)).fetchone())


def standee_by_short_code(conn: sqlite3.Connection, short_code: str) -> Standee | None:
    return _standee(conn.execute(f"{_STANDEE} WHERE s.short_code = ?", (short_code,)).fetchone())


def standees(conn: sqlite3.Connection) -> list[Standee]:
    return [_standee(r) for r in conn.execute(f"{_STANDEE} ORDER BY s.created_at, s.standee_id")]  # type: ignore[misc]


def count_scan(conn: sqlite3.Connection, standee_id: str) -> None:
    conn.execute("UPDATE standees SET scans = scans + 1 WHERE standee_id = ?", (standee_id,))


def revoke_standee(conn: sqlite3.Connection, standee_id: str, now: datetime) -> bool:
    cur = conn.execute("UPDATE standees SET revoked_at = ? WHERE standee_id = ? AND revoked_at IS NULL",
                       (iso(now), standee_id))
    return cur.rowcount == 1


def record_checkout_join(conn: sqlite3.Connection, checkout_id: str, member_id: str, created: bool,
                         now: datetime) -> bool:
    """Attach a member to a checkout; False when the checkout already has one (the QR was used)."""
    cur = conn.execute("INSERT INTO checkout_joins (checkout_id, member_id, created, joined_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (checkout_id) DO NOTHING", (checkout_id, member_id, created, iso(now)))
    return cur.rowcount == 1


def checkout_join(conn: sqlite3.Connection, checkout_id: str) -> tuple[str, bool, str] | None:
    """(member_id, created, joined_at) of the member who scanned this checkout's QR, if any."""
    row = conn.execute("SELECT member_id, created, joined_at FROM checkout_joins WHERE checkout_id = ?",
                       (checkout_id,)).fetchone()
    return (row[0], bool(row[1]), row[2]) if row else None


def accept_member_code(conn: sqlite3.Connection, member_id: str, step: int, now: datetime) -> bool:
    """Record a member code as used here; False when this store accepted it before."""
    cur = conn.execute("INSERT INTO member_code_uses (member_id, step, used_at) VALUES (?, ?, ?) "
                       "ON CONFLICT DO NOTHING", (member_id, step, iso(now)))
    # steps this old fail verification anyway: keep the table to the last few minutes
    conn.execute("DELETE FROM member_code_uses WHERE step < ?", (step - 10,))
    return cur.rowcount == 1


def insert_session(conn: sqlite3.Connection, session_hash: str, member_id: str, now: datetime,
                   expires: datetime) -> None:
    conn.execute("INSERT INTO member_sessions (session_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                 (session_hash, member_id, iso(now), iso(expires)))


def session_member(conn: sqlite3.Connection, session_hash: str, now: datetime) -> str | None:
    row = conn.execute("SELECT member_id FROM member_sessions WHERE session_hash = ? AND expires_at > ?",
                       (session_hash, iso(now))).fetchone()
    return row[0] if row else None


def end_sessions(conn: sqlite3.Connection, member_id: str) -> None:
    conn.execute("DELETE FROM member_sessions WHERE member_id = ?", (member_id,))


def attribute_sale(conn: sqlite3.Connection, sale_id: str, member_id: str, points: int) -> bool:
    """Give a non-member sale to the member who joined through its receipt; False if it has one already."""
    cur = conn.execute("UPDATE sales SET member_id = ?, joined_source = 'receipt', points_earned = ? "
                       "WHERE sale_id = ? AND member_id IS NULL AND status = 'completed'",
                       (member_id, points, sale_id))
    return cur.rowcount == 1


def clear_consent(conn: sqlite3.Connection, member_id: str, purpose: str, now: datetime) -> None:
    column = {"marketing": "marketing_consent", "payment_link": "payment_link_consent"}[purpose]
    conn.execute(f"UPDATE members SET {column} = 0, updated_at = ? WHERE member_id = ?", (iso(now), member_id))


def unlink_payers(conn: sqlite3.Connection, member_id: str) -> int:
    return conn.execute("DELETE FROM payment_identities WHERE member_id = ?", (member_id,)).rowcount


def sale_of_checkout(conn: sqlite3.Connection, checkout_id: str) -> str | None:
    """The completed sale that paid this checkout, if it was paid."""
    row = conn.execute("SELECT sale_id FROM sales WHERE checkout_id = ? AND status = 'completed' "
                       "ORDER BY created_at DESC LIMIT 1", (checkout_id,)).fetchone()
    return row[0] if row else None


_MEMBER_RECORDS = {
    "consents": "SELECT purpose, granted, policy_version, channel, at FROM consents WHERE member_id = ? ORDER BY id",
    "points": "SELECT kind, points, sale_id, at FROM points_ledger WHERE member_id = ? ORDER BY at",
    "points_held": "SELECT sale_id, points, release_at, status FROM points_pending WHERE member_id = ? "
                   "ORDER BY release_at",
    "payment_identities": "SELECT provider, linked_at FROM payment_identities WHERE member_id = ?",
    "sales": "SELECT sale_id, created_at, total_fen, discount_fen, points_earned, status FROM sales "
             "WHERE member_id = ? ORDER BY created_at",
}


def member_records(conn: sqlite3.Connection, member_id: str) -> dict[str, list[dict]]:
    """The member's consents, points (ledger and held), payer links (providers only) and sales, for their
    data download."""
    out = {}
    for name, sql in _MEMBER_RECORDS.items():
        cur = conn.execute(sql, (member_id,))
        columns = [d[0] for d in cur.description]
        out[name] = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return out


# --- referral codes: random, so they are looked up here ---------------------------------------------

def add_referral_code(conn: sqlite3.Connection, member_id: str) -> str:
    """Give a member a fresh referral code in the caller's transaction; the PRIMARY KEY settles a clash."""
    for _ in range(16):  # at 31^8 codes, even a million members clash once in 850,000 draws
        code = new_code()
        try:
            conn.execute("INSERT INTO referral_codes (code, member_id) VALUES (?, ?)", (code, member_id))
            return code
        except sqlite3.IntegrityError:
            row = conn.execute("SELECT code FROM referral_codes WHERE member_id = ?", (member_id,)).fetchone()
            if row is not None:
                return row[0]
    raise RuntimeError("no free referral code after 16 draws")


def referral_code_of(conn: sqlite3.Connection, member_id: str) -> str | None:
    row = conn.execute("SELECT code FROM referral_codes WHERE member_id = ?", (member_id,)).fetchone()
    return row[0] if row else None


def member_of_referral_code(conn: sqlite3.Connection, code: str) -> str | None:
    row = conn.execute("SELECT member_id FROM referral_codes WHERE code = ?", (code,)).fetchone()
    return row[0] if row else None


def spend_page_link(conn: sqlite3.Connection, nonce: str, member_id: str, at: str) -> bool:
    """Mark a member-page link opened; False when it was opened before (each opens once)."""
    return conn.execute("INSERT INTO page_links (nonce, member_id, used_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (nonce) DO NOTHING", (nonce, member_id, at)).rowcount == 1
