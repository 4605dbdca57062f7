"""Unified identity at HQ: one person per phone hash (or consented payer hash) across stores.

A person is named by the member id of their earliest join, which survives every merge. Each
merge is recorded with the members it moved, so it can be reversed; a reversed pair is never
merged again automatically. `alias_version` / `dir_version` are NULL until a bundle carries the
change down to the stores.
"""

import sqlite3

import msgspec

TABLES = """
CREATE TABLE IF NOT EXISTS identities (
    member_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, phone_hash TEXT, joined_at TEXT NOT NULL,
    person_id TEXT NOT NULL, erased_at TEXT,
    dir_version INTEGER,               -- bundle version that first sent this member down (NULL: not yet)
    alias_version INTEGER DEFAULT 0   -- NULL: the person changed, the alias is still to be sent
);
CREATE INDEX IF NOT EXISTS identities_phone ON identities(phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS identities_person ON identities(person_id);
CREATE INDEX IF NOT EXISTS identities_unsent ON identities(member_id) WHERE dir_version IS NULL;
CREATE TABLE IF NOT EXISTS payer_links (
    payer_hash TEXT NOT NULL, member_id TEXT NOT NULL, linked_at TEXT NOT NULL,
    PRIMARY KEY (payer_hash, member_id)
);
CREATE TABLE IF NOT EXISTS merges (
    merge_id INTEGER PRIMARY KEY, survivor_id TEXT NOT NULL, merged_id TEXT NOT NULL,
    reason TEXT NOT NULL, moved TEXT NOT NULL, merged_at TEXT NOT NULL, reversed_at TEXT
);
CREATE TABLE IF NOT EXISTS merge_blocks (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE IF NOT EXISTS erasures (
    member_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, phone_hash TEXT, erased_at TEXT NOT NULL,
    published_version INTEGER
);
"""


def create_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(TABLES)


def _root(conn: sqlite3.Connection, member_id: str) -> tuple[str, str] | None:
    """(person id, the person's join time) of a member."""
    row = conn.execute("SELECT i.person_id, p.joined_at FROM identities i JOIN identities p "
                       "ON p.member_id = i.person_id WHERE i.member_id = ?", (member_id,)).fetchone()
    return (row[0], row[1]) if row else None


def _blocked(conn: sqlite3.Connection, a: str, b: str) -> bool:
    return conn.execute("SELECT 1 FROM merge_blocks WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)",
                        (a, b, b, a)).fetchone() is not None


def unify(conn: sqlite3.Connection, member_a: str, member_b: str, reason: str, at: str) -> int | None:
    """Make two members one person, the earliest join surviving; return the merge id, or None."""
    ra, rb = _root(conn, member_a), _root(conn, member_b)
    if ra is None or rb is None or ra[0] == rb[0] or _blocked(conn, ra[0], rb[0]):
        return None
    survivor, merged = (ra, rb) if (ra[1], ra[0]) <= (rb[1], rb[0]) else (rb, ra)
    moved = [r[0] for r in conn.execute("SELECT member_id FROM identities WHERE person_id = ?", (merged[0],))]
    conn.execute("UPDATE identities SET person_id = ?, alias_version = NULL WHERE person_id = ?",
                 (survivor[0], merged[0]))
    return conn.execute("INSERT INTO merges (survivor_id, merged_id, reason, moved, merged_at) VALUES (?, ?, ?, ?, ?)",
                        (survivor[0], merged[0], reason, msgspec.json.encode(moved).decode(), at)).lastrowid


def member_joined(conn: sqlite3.Connection, store_id: str, member_id: str, phone_hash: str | None,
                  joined_at: str) -> None:
    cur = conn.execute("INSERT OR IGNORE INTO identities (member_id, store_id, phone_hash, joined_at, person_id) "
                       "VALUES (?, ?, ?, ?, ?)", (member_id, store_id, phone_hash, joined_at, member_id))
    if cur.rowcount == 0 or not phone_hash:
        return
    for (other,) in conn.execute("SELECT member_id FROM identities WHERE phone_hash = ? AND member_id != ? "
                                 "AND erased_at IS NULL", (phone_hash, member_id)).fetchall():
        unify(conn, member_id, other, "phone_hash", joined_at)


def payer_linked(conn: sqlite3.Connection, member_id: str, payer_hash: str, at: str) -> None:
    cur = conn.execute("INSERT OR IGNORE INTO payer_links (payer_hash, member_id, linked_at) VALUES (?, ?, ?)",
                       (payer_hash, member_id, at))
    if cur.rowcount == 0:
        return
    for (other,) in conn.execute("SELECT member_id FROM payer_links WHERE payer_hash = ? AND member_id != ?",
                                 (payer_hash, member_id)).fetchall():
        unify(conn, member_id, other, "payer_hash", at)


def member_erased(conn: sqlite3.Connection, store_id: str, member_id: str, phone_hash: str | None, at: str) -> None:
    """Erase the person everywhere: every identity with this phone hash, scrubbed here and sent down."""
    targets = {member_id}
    if phone_hash:
        targets.update(r[0] for r in conn.execute("SELECT member_id FROM identities WHERE phone_hash = ?",
                                                  (phone_hash,)))
    conn.execute("INSERT OR IGNORE INTO erasures (member_id, store_id, phone_hash, erased_at) VALUES (?, ?, ?, ?)",
                 (member_id, store_id, phone_hash, at))
    for mid in targets:
        row = conn.execute("UPDATE identities SET erased_at = coalesce(erased_at, ?), phone_hash = NULL "
                           "WHERE member_id = ? RETURNING store_id", (at, mid)).fetchone()
        conn.execute("DELETE FROM payer_links WHERE member_id = ?", (mid,))
        if row is not None:  # the join event's personal fields go too; the join itself stays counted
            conn.execute("UPDATE events SET payload = json_remove(payload, '$.phone_hash', '$.phone_masked', "
                         "'$.phone_e164', '$.birthday') WHERE store_id = ? AND type = 'member.joined' "
                         "AND json_extract(payload, '$.member_id') = ?", (row[0], mid))


def unmerge(conn: sqlite3.Connection, merge_id: int, at: str) -> list[str]:
    """Reverse a merge: the members it moved become their own person again; return them."""
    row = conn.execute("SELECT survivor_id, merged_id, moved, reversed_at FROM merges WHERE merge_id = ?",
                       (merge_id,)).fetchone()
    if row is None or row[3] is not None:
        raise LookupError(f"no merge {merge_id} to reverse")
    survivor, merged, moved = row[0], row[1], msgspec.json.decode(row[2], type=list[str])
    conn.executemany("UPDATE identities SET person_id = ?, alias_version = NULL WHERE member_id = ? AND person_id = ?",
                     [(merged, m, survivor) for m in moved])
    conn.execute("UPDATE merges SET reversed_at = ? WHERE merge_id = ?", (at, merge_id))
    conn.execute("INSERT OR IGNORE INTO merge_blocks (a, b) VALUES (?, ?)", (survivor, merged))
    return moved


def persons(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(DISTINCT person_id) FROM identities WHERE erased_at IS NULL").fetchone()[0]
