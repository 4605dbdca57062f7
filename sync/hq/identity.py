"""Unified identity at HQ: one person per phone hash (or consented payer hash) across stores.

A person is named by the member id of their earliest join, which survives every merge. Each
merge is recorded with the members it moved, so it can be reversed; a reversed pair is never
merged again automatically. `alias_version` / `dir_version` are NULL until a bundle carries the
change down to the stores.
"""

import sqlite3

import msgspec

from .. import sealed

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
-- personal data keys the stores sent beside their listings; erasure deletes them (crypto-shredding)
CREATE TABLE IF NOT EXISTS data_keys (kid TEXT PRIMARY KEY, store_id TEXT NOT NULL, key BLOB NOT NULL);
"""


def create_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(TABLES)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(erasures)")}
    if "merged_ids" not in columns:  # the ids a tombstone names beside its member, as a JSON list
        conn.execute("ALTER TABLE erasures ADD COLUMN merged_ids TEXT NOT NULL DEFAULT '[]'")


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


def erasure_targets(conn: sqlite3.Connection, named: list[str], at: str) -> list[str]:
    """The ids one erasure covers: those named, and every id HQ had merged into the same person that
    joined no later than the erasure. A later join HQ merged by phone before it learnt of the
    erasure is someone new (the phone joined again): never erased by it."""
    targets = list(dict.fromkeys(named))
    marks = ", ".join("?" for _ in targets)
    persons = [r[0] for r in conn.execute(f"SELECT DISTINCT person_id FROM identities WHERE member_id IN ({marks})",
                                          targets)]
    for person in persons:
        targets += [r[0] for r in conn.execute("SELECT member_id FROM identities WHERE person_id = ? AND joined_at <= ? "
                                               "ORDER BY member_id", (person, at)) if r[0] not in targets]
    return targets


# personal fields events carried in clear before they were sealed: removed from the inbox on erasure
_CLEAR_FIELDS = "'$.phone_hash', '$.phone_masked', '$.phone_e164', '$.birthday', '$.payer_hash'"


def member_erased(conn: sqlite3.Connection, store_id: str, member_id: str, at: str,
                  member_ids: list[str] | None = None, keys_destroyed: list[str] | None = None) -> list[str]:
    """Erase the ids a tombstone names (and those merged into them before it) at HQ; return them.

    Never by phone hash. Identities lose their phone hash, payer links go, the data keys that open
    their sealed fields are destroyed (named by the store, and every key an event of theirs used),
    sales keep amounts without the member id, fields older events carried in clear are removed,
    and the tombstone is kept (ids only) to go down to every store. A live member HQ had merged
    into the erased person becomes their own person again.
    """
    targets = erasure_targets(conn, [member_id, *(member_ids or [])], at)
    marks = ", ".join("?" for _ in targets)
    kids = set(keys_destroyed or [])
    for (payload,) in conn.execute(f"SELECT payload FROM events WHERE json_extract(payload, '$.member_id') "
                                   f"IN ({marks})", targets):
        kid = sealed.key_id(json_field(payload, "personal"))
        if kid:
            kids.add(kid)
    conn.executemany("DELETE FROM data_keys WHERE kid = ?", [(k,) for k in sorted(kids)])
    conn.execute("INSERT OR IGNORE INTO erasures (member_id, store_id, phone_hash, erased_at, merged_ids) "
                 "VALUES (?, ?, NULL, ?, ?)",
                 (member_id, store_id, at, msgspec.json.encode([m for m in targets if m != member_id]).decode()))
    conn.execute(f"UPDATE identities SET erased_at = coalesce(erased_at, ?), phone_hash = NULL "
                 f"WHERE member_id IN ({marks})", (at, *targets))
    conn.execute(f"DELETE FROM payer_links WHERE member_id IN ({marks})", targets)
    conn.execute(f"UPDATE events SET payload = json_remove(payload, {_CLEAR_FIELDS}) "
                 f"WHERE json_extract(payload, '$.member_id') IN ({marks})", targets)
    conn.execute(f"UPDATE events SET payload = json_set(payload, '$.member_id', json('null')) "
                 f"WHERE type IN ('sale.completed', 'sale.voided') AND json_extract(payload, '$.member_id') "
                 f"IN ({marks})", targets)
    _reroot_survivors(conn, targets)
    return targets


def json_field(payload: str, name: str) -> object:
    return msgspec.json.decode(payload).get(name)


def _reroot_survivors(conn: sqlite3.Connection, erased: list[str]) -> None:
    """Live members whose person was erased: each is their own person again, sent down anew."""
    marks = ", ".join("?" for _ in erased)
    live = conn.execute(f"SELECT member_id, phone_hash, joined_at FROM identities WHERE person_id IN ({marks}) "
                        "AND erased_at IS NULL ORDER BY joined_at, member_id", erased).fetchall()
    for mid, _, _ in live:
        conn.execute("UPDATE identities SET person_id = ?, alias_version = NULL, dir_version = NULL "
                     "WHERE member_id = ?", (mid, mid))
    for mid, phone, at in live:  # the same phone among them is still one person
        for (other,) in conn.execute("SELECT member_id FROM identities WHERE phone_hash = ? AND member_id != ? "
                                     "AND erased_at IS NULL", (phone, mid)).fetchall() if phone else []:
            unify(conn, mid, other, "phone_hash", at)


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
