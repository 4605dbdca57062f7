"""Cross-store recognition at the edge: members known through HQ's directory, and merged ids."""

import sqlite3

from edge.domain.models import Member
from edge.store import members as members_repo


def by_phone_hash(conn: sqlite3.Connection, phone_hash: str) -> Member | None:
    """A live member with this phone hash and no phone here: one who joined at another store."""
    row = conn.execute("SELECT member_id FROM members WHERE phone_hash = ? AND phone_e164 IS NULL "
                       "AND erased_at IS NULL ORDER BY joined_at LIMIT 1", (phone_hash,)).fetchone()
    return None if row is None else members_repo.by_id(conn, row[0])


def follow_alias(conn: sqlite3.Connection, member: Member | None) -> Member | None:
    """The surviving member when HQ merged this one into another that this store knows."""
    if member is None:
        return None
    row = conn.execute("SELECT member_id FROM member_aliases WHERE alias_member_id = ?", (member.member_id,)).fetchone()
    if row is None:
        return member
    survivor = members_repo.by_id(conn, row[0])
    return survivor if survivor is not None and survivor.erased_at is None else member


def by_alias(conn: sqlite3.Connection, alias_member_id: str) -> Member | None:
    """The survivor a merged-away member id stands for, when only the alias is known here."""
    row = conn.execute("SELECT member_id FROM member_aliases WHERE alias_member_id = ?", (alias_member_id,)).fetchone()
    return None if row is None else members_repo.by_id(conn, row[0])
