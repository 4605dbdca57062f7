"""The member directory: members known through HQ's directory (they joined at another store), and
member ids HQ merged into another. Read on every lookup; written when a config bundle arrives."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso
from ..domain.models import Member
from . import members as members_repo


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


def add_directory_member(conn: sqlite3.Connection, member_id: str, phone_hash: str, tier_id: str, joined_at: str,
                         home_store_id: str, join_source: str, version: int, now: datetime) -> bool:
    """A members row for someone who joined at another store, found here by phone hash (no raw phone
    is stored); False when this store already knows the member id."""
    if conn.execute("SELECT 1 FROM members WHERE member_id = ?", (member_id,)).fetchone():
        return False
    conn.execute("INSERT INTO members (member_id, phone_e164, phone_hash, tier_id, joined_at, join_store_id, "
                 "join_source, updated_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?)",
                 (member_id, phone_hash, tier_id, joined_at, home_store_id, join_source, iso(now)))
    conn.execute("INSERT INTO sync_directory (member_id, home_store_id, version) VALUES (?, ?, ?)",
                 (member_id, home_store_id, version))
    return True


def set_alias(conn: sqlite3.Connection, alias_member_id: str, member_id: str, version: int) -> None:
    """HQ merged `alias_member_id` into `member_id`: lookups of the alias find the survivor."""
    conn.execute("INSERT INTO member_aliases (alias_member_id, member_id, version) VALUES (?, ?, ?) "
                 "ON CONFLICT (alias_member_id) DO UPDATE SET member_id = excluded.member_id, "
                 "version = excluded.version", (alias_member_id, member_id, version))
