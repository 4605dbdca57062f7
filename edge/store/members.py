"""Members, their consents, points ledger and linked payment identities."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso
from ..domain.ids import uuid7
from ..domain.models import Member

MEMBER_FIELDS = tuple(Member.__struct_fields__)
_SELECT = f"SELECT {', '.join(MEMBER_FIELDS)} FROM members"
_BOOLS = {"marketing_consent", "payment_link_consent"}


_BOOL_AT = tuple(i for i, f in enumerate(MEMBER_FIELDS) if f in _BOOLS)
# the member and whether HQ merged its id into another's: one statement for the common lookup
_SELECT_FLAGGED = (f"SELECT {', '.join(MEMBER_FIELDS)}, EXISTS(SELECT 1 FROM member_aliases a "
                   "WHERE a.alias_member_id = members.member_id) FROM members")


def _member(row: tuple | None) -> Member | None:
    if row is None:
        return None
    values = list(row[:len(MEMBER_FIELDS)])
    for i in _BOOL_AT:
        values[i] = bool(values[i])
    return Member(*values)


def by_id(conn: sqlite3.Connection, member_id: str) -> Member | None:
    return _member(conn.execute(f"{_SELECT} WHERE member_id = ?", (member_id,)).fetchone())


def find_flagged(conn: sqlite3.Connection, column: str, value: str) -> tuple[Member | None, bool]:
    """(member by `member_id` or `phone_e164`, whether an alias points it at another member)."""
    assert column in ("member_id", "phone_e164")
    row = conn.execute(f"{_SELECT_FLAGGED} WHERE {column} = ?", (value,)).fetchone()
    return (None, False) if row is None else (_member(row), bool(row[-1]))


def by_phone(conn: sqlite3.Connection, phone_e164: str) -> Member | None:
    return _member(conn.execute(f"{_SELECT} WHERE phone_e164 = ?", (phone_e164,)).fetchone())


def by_payer(conn: sqlite3.Connection, payer_hash: str) -> Member | None:
    return _member(conn.execute(
        f"{_SELECT} WHERE member_id = (SELECT member_id FROM payment_identities WHERE payer_hash = ?) "
        "AND erased_at IS NULL", (payer_hash,)).fetchone())


def by_checkout(conn: sqlite3.Connection, checkout_id: str) -> Member | None:
    return _member(conn.execute(f"{_SELECT} WHERE join_checkout_id = ? ORDER BY joined_at LIMIT 1",
                                (checkout_id,)).fetchone())


def insert_member(conn: sqlite3.Connection, member: Member, phone_hash: str) -> None:
    """Insert a new member; the UNIQUE phone constraint, not a prior search, stops a duplicate."""
    cols = ", ".join(MEMBER_FIELDS)
    marks = ", ".join("?" for _ in MEMBER_FIELDS)
    conn.execute(f"INSERT INTO members ({cols}, phone_hash, updated_at) VALUES ({marks}, ?, ?)",
                 (*(getattr(member, f) for f in MEMBER_FIELDS), phone_hash, member.joined_at))


def record_consent(conn: sqlite3.Connection, member_id: str, purpose: str, granted: bool, policy_version: str,
                   channel: str, now: datetime) -> None:
    conn.execute("INSERT INTO consents (member_id, purpose, granted, policy_version, channel, at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (member_id, purpose, granted, policy_version, channel, iso(now)))


def add_points(conn: sqlite3.Connection, member_id: str, kind: str, points: int, sale_id: str | None,
               now: datetime) -> str:
    """Append a ledger entry and move the cached balance with it, in the caller's transaction."""
    entry_id = uuid7()
    conn.execute("INSERT INTO points_ledger (entry_id, member_id, kind, points, sale_id, at) VALUES (?, ?, ?, ?, ?, ?)",
                 (entry_id, member_id, kind, points, sale_id, iso(now)))
    conn.execute("UPDATE members SET points_balance = points_balance + ?, updated_at = ? WHERE member_id = ?",
                 (points, iso(now), member_id))
    return entry_id


def add_spend(conn: sqlite3.Connection, member_id: str, paid_fen: int, now: datetime) -> int:
    """Add to lifetime spend (negative on a void); return the new lifetime spend."""
    return conn.execute("UPDATE members SET lifetime_spend_fen = lifetime_spend_fen + ?, updated_at = ? "
                        "WHERE member_id = ? RETURNING lifetime_spend_fen",
                        (paid_fen, iso(now), member_id)).fetchone()[0]


def settle_sale(conn: sqlite3.Connection, member_id: str, paid_fen: int, tier_id: str, now: datetime) -> Member:
    """A sale's spend and the tier it earned, in one statement that answers the member as it now is."""
    row = conn.execute(f"UPDATE members SET lifetime_spend_fen = lifetime_spend_fen + ?, tier_id = ?, updated_at = ? "
                       f"WHERE member_id = ? RETURNING {', '.join(MEMBER_FIELDS)}",
                       (paid_fen, tier_id, iso(now), member_id)).fetchone()
    return _member(row)  # type: ignore[return-value]


def set_tier(conn: sqlite3.Connection, member_id: str, tier_id: str, now: datetime) -> None:
    conn.execute("UPDATE members SET tier_id = ?, updated_at = ? WHERE member_id = ?", (tier_id, iso(now), member_id))


def link_payer(conn: sqlite3.Connection, payer_hash: str, member_id: str, provider: str, now: datetime) -> bool:
    """Link a payer hash to a member; False when it already was (to anyone: first link wins)."""
    cur = conn.execute("INSERT INTO payment_identities (payer_hash, member_id, provider, linked_at) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (payer_hash) DO NOTHING",
                       (payer_hash, member_id, provider, iso(now)))
    return cur.rowcount == 1


def ledger_sum(conn: sqlite3.Connection, member_id: str) -> int:
    return conn.execute("SELECT coalesce(sum(points), 0) FROM points_ledger WHERE member_id = ?",
                        (member_id,)).fetchone()[0]


def set_birthday(conn: sqlite3.Connection, member_id: str, birthday: str | None, now: datetime) -> None:
    conn.execute("UPDATE members SET birthday = ?, updated_at = ? WHERE member_id = ?", (birthday, iso(now), member_id))


def held_points(conn: sqlite3.Connection, member_id: str) -> list[tuple[int, str]]:
    """(points, release time) of the member's earned points still held, soonest first."""
    return conn.execute("SELECT points, release_at FROM points_pending WHERE member_id = ? AND status = 'pending' "
                        "AND points > 0 ORDER BY release_at", (member_id,)).fetchall()


def consent_version(conn: sqlite3.Connection, member_id: str, purpose: str) -> str | None:
    """The policy version of the member's latest consent record for a purpose."""
    row = conn.execute("SELECT policy_version FROM consents WHERE member_id = ? AND purpose = ? "
                       "ORDER BY id DESC LIMIT 1", (member_id, purpose)).fetchone()
    return row[0] if row else None


def seen_since(conn: sqlite3.Connection, since: str, limit: int) -> list[tuple[str, str, str, str]]:
    """(member_id, phone, tier_id, updated_at) of members with a phone changed or seen since `since`,
    newest first; never an erased one (by its row, or by a tombstone HQ brought)."""
    return conn.execute(
        "SELECT member_id, phone_e164, tier_id, updated_at FROM members "
        "WHERE erased_at IS NULL AND phone_e164 IS NOT NULL AND updated_at >= ? "
        "AND NOT EXISTS (SELECT 1 FROM member_erasures e WHERE e.member_id = members.member_id) "
        "ORDER BY updated_at DESC, member_id LIMIT ?", (since, limit)).fetchall()
