"""Erasure's rows: who is one person, tombstones, and the personal data scrubbed from every table."""

import sqlite3
from collections.abc import Callable


def person_ids(conn: sqlite3.Connection, member_id: str) -> list[str]:
    """The member and the ids HQ merged into the same person (as this store knows them), member first."""
    row = conn.execute("SELECT member_id FROM member_aliases WHERE alias_member_id = ?", (member_id,)).fetchone()
    root = row[0] if row is not None else member_id
    ids = {member_id, root}
    ids.update(r[0] for r in conn.execute("SELECT alias_member_id FROM member_aliases WHERE member_id = ?", (root,)))
    return [member_id, *sorted(ids - {member_id})]


def erased(conn: sqlite3.Connection, member_id: str) -> bool:
    return conn.execute("SELECT 1 FROM member_erasures WHERE member_id = ?", (member_id,)).fetchone() is not None


def last_tombstone(conn: sqlite3.Connection) -> int:
    """A number that moves on with every tombstone recorded here (0: none)."""
    return conn.execute("SELECT coalesce(max(rowid), 0) FROM member_erasures").fetchone()[0]


def add_request(conn: sqlite3.Connection, request_id: str, member_id: str, reason: str, requested_via: str,
                recorded_by: str, recorded_by_key: str, recorded_at: str) -> None:
    """An in-person erasure request as the manager recorded it (the member id only, no personal data)."""
    conn.execute("INSERT INTO erasure_requests (request_id, member_id, reason, requested_via, recorded_by, "
                 "recorded_by_key, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (request_id, member_id, reason, requested_via, recorded_by, recorded_by_key, recorded_at))


def member_exists(conn: sqlite3.Connection, member_id: str) -> bool:
    return conn.execute("SELECT 1 FROM members WHERE member_id = ?", (member_id,)).fetchone() is not None


def add_tombstones(conn: sqlite3.Connection, ids: list[str], at: str, origin: str) -> None:
    conn.executemany("INSERT INTO member_erasures (member_id, erased_at, origin) VALUES (?, ?, ?) "
                     "ON CONFLICT (member_id) DO NOTHING", [(m, at, origin) for m in ids])


def scrub_rows(conn: sqlite3.Connection, ids: list[str], at: str, scrub_answer: Callable[[bytes], bytes]) -> list[str]:
    """Remove these member ids' personal data from every table; stored sale answers are rewritten by
    `scrub_answer`. Returns the payer hashes that were theirs (their data keys go too)."""
    marks = ", ".join("?" for _ in ids)
    payers = sorted({r[0] for r in conn.execute(
        f"SELECT payer_hash FROM payment_identities WHERE member_id IN ({marks}) UNION "
        f"SELECT payer_hash FROM sales WHERE member_id IN ({marks}) AND payer_hash IS NOT NULL", (*ids, *ids))})
    conn.execute(f"UPDATE members SET phone_e164 = NULL, phone_hash = NULL, name = NULL, birthday = NULL, "
                 f"marketing_consent = 0, payment_link_consent = 0, points_balance = 0, "
                 f"erased_at = coalesce(erased_at, ?), updated_at = ? WHERE member_id IN ({marks})",
                 (at, at, *ids))
    for table in ("payment_identities", "consents", "points_ledger", "points_pending", "member_sessions",
                  "member_code_uses", "page_links", "referral_codes"):
        conn.execute(f"DELETE FROM {table} WHERE member_id IN ({marks})", ids)
    conn.execute(f"UPDATE coupons SET member_id = NULL WHERE member_id IN ({marks})", ids)
    # an open price lock quoted for the member (its priced cart names them) goes with what it holds
    conn.execute(f"DELETE FROM reservations WHERE member_id IN ({marks}) OR checkout_id IN "
                 f"(SELECT checkout_id FROM checkout_locks WHERE member_id IN ({marks}))", (*ids, *ids))
    conn.execute(f"DELETE FROM checkout_locks WHERE member_id IN ({marks})", ids)
    for member_id in ids:  # enrolment answers kept for retries carry the masked phone
        conn.execute("DELETE FROM idempotency WHERE instr(CAST(response AS TEXT), ?) > 0", (member_id,))
    # Sales stay for the books and the join rate (their counts do not depend on who bought), but no
    # longer point at the person, even in the stored answers a replay would return.
    rows = conn.execute(f"SELECT sale_id, response FROM sales WHERE member_id IN ({marks})", ids).fetchall()
    for sale_id, response in rows:
        conn.execute("UPDATE sales SET member_id = NULL, payer_hash = NULL, response = ? WHERE sale_id = ?",
                     (scrub_answer(bytes(response)), sale_id))
    for payer in payers:
        conn.execute("UPDATE sales SET payer_hash = NULL WHERE payer_hash = ?", (payer,))
    return payers
