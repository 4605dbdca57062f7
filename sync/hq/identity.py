"""Unified identity at HQ: one person per phone hash (or consented payer hash) across stores.

A person is named by the member id of their earliest join, which survives every merge. Each
merge is recorded with the members it moved, so it can be reversed; a reversed pair is never
merged again automatically. `alias_version` / `dir_version` are NULL until a bundle carries the
change down to the stores. The rules run on either warehouse engine (the SQL is the dialect
both share; the few engine-specific steps are the warehouse's methods).
"""

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from .warehouse.base import Warehouse


def _root(wh: "Warehouse", member_id: str) -> tuple[str, str] | None:
    """(person id, the person's join time) of a member."""
    row = wh.execute("SELECT i.person_id, p.joined_at FROM identities i JOIN identities p "
                       "ON p.member_id = i.person_id WHERE i.member_id = ?", (member_id,)).fetchone()
    return (row[0], row[1]) if row else None


def _blocked(wh: "Warehouse", a: str, b: str) -> bool:
    return wh.execute("SELECT 1 FROM merge_blocks WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)",
                        (a, b, b, a)).fetchone() is not None


def unify(wh: "Warehouse", member_a: str, member_b: str, reason: str, at: str) -> int | None:
    """Make two members one person, the earliest join surviving; return the merge id, or None."""
    ra, rb = _root(wh, member_a), _root(wh, member_b)
    if ra is None or rb is None or ra[0] == rb[0] or _blocked(wh, ra[0], rb[0]):
        return None
    survivor, merged = (ra, rb) if (ra[1], ra[0]) <= (rb[1], rb[0]) else (rb, ra)
    moved = [r[0] for r in wh.execute("SELECT member_id FROM identities WHERE person_id = ?", (merged[0],))]
    wh.execute("UPDATE identities SET person_id = ?, alias_version = NULL WHERE person_id = ?",
                 (survivor[0], merged[0]))
    return wh.execute("INSERT INTO merges (survivor_id, merged_id, reason, moved, merged_at) VALUES (?, ?, ?, ?, ?) "
                      "RETURNING merge_id",
                      (survivor[0], merged[0], reason, msgspec.json.encode(moved).decode(), at)).fetchone()[0]


def member_joined(wh: "Warehouse", store_id: str, member_id: str, phone_hash: str | None, joined_at: str) -> None:
    members_joined(wh, store_id, [(member_id, phone_hash, joined_at)])


def members_joined(wh: "Warehouse", store_id: str, joins: list[tuple[str, str | None, str]]) -> None:
    """Joins in the order they happened: each new member is its own person, then is unified with every
    live member of the same phone hash known by then (those before it, not those after it)."""
    new, known = wh.insert_identities(store_id, joins)
    phoned = [j for j in joins if j[0] in new and j[1]]
    if not phoned:
        return
    position: dict[str, int] = {}
    for n, j in enumerate(joins):
        position.setdefault(j[0], n)
    by_phone = {ph: set(members) for ph, members in known.items()}
    for member_id, phone_hash, _ in phoned:  # members of this run are candidates too, for those after them
        by_phone.setdefault(phone_hash, set()).add(member_id)
    for member_id, phone_hash, joined_at in phoned:
        for other in sorted(by_phone[phone_hash]):
            if other != member_id and position.get(other, -1) < position[member_id]:
                unify(wh, member_id, other, "phone_hash", joined_at)


def payer_linked(wh: "Warehouse", member_id: str, payer_hash: str, at: str) -> None:
    added = wh.execute("INSERT INTO payer_links (payer_hash, member_id, linked_at) VALUES (?, ?, ?) "
                       "ON CONFLICT DO NOTHING RETURNING member_id", (payer_hash, member_id, at)).fetchall()
    if not added:
        return
    for (other,) in wh.execute("SELECT member_id FROM payer_links WHERE payer_hash = ? AND member_id != ? "
                                 "ORDER BY member_id",
                                 (payer_hash, member_id)).fetchall():
        unify(wh, member_id, other, "payer_hash", at)


def erasure_targets(wh: "Warehouse", named: list[str], at: str) -> list[str]:
    """The ids one erasure covers: those named, and every id HQ had merged into the same person that
    joined no later than the erasure. A later join HQ merged by phone before it learnt of the
    erasure is someone new (the phone joined again): never erased by it."""
    targets = list(dict.fromkeys(named))
    where, param = wh.any_of("member_id", targets)
    persons = [r[0] for r in wh.execute(f"SELECT DISTINCT person_id FROM identities WHERE {where} "
                                        "ORDER BY person_id", (param,)).fetchall()]
    for person in persons:
        targets += [r[0] for r in wh.execute("SELECT member_id FROM identities WHERE person_id = ? AND joined_at <= ? "
                                             "ORDER BY member_id", (person, at)).fetchall() if r[0] not in targets]
    return targets


def member_erased(wh: "Warehouse", store_id: str, member_id: str, at: str, member_ids: list[str] | None = None,
                  keys_destroyed: list[str] | None = None) -> list[str]:
    """Erase the ids a tombstone names (and those merged into them before it) at HQ; return them.

    Never by phone hash. Identities lose their phone hash, payer links go, the data keys that open
    their sealed fields are destroyed (named by the store, and every key an event of theirs used),
    sales keep amounts without the member id, fields older events carried in clear are removed,
    and the tombstone is kept (ids only) to go down to every store. A live member HQ had merged
    into the erased person becomes their own person again.
    """
    targets = erasure_targets(wh, [member_id, *(member_ids or [])], at)
    kids = set(keys_destroyed or []) | wh.personal_key_ids(targets)
    if kids:
        where, param = wh.any_of("kid", sorted(kids))
        wh.execute(f"DELETE FROM data_keys WHERE {where}", (param,))
    wh.execute("INSERT INTO erasures (member_id, store_id, phone_hash, erased_at, merged_ids) "
               "VALUES (?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING",
               (member_id, store_id, at, msgspec.json.encode([m for m in targets if m != member_id]).decode()))
    where, param = wh.any_of("member_id", targets)
    wh.execute(f"UPDATE identities SET erased_at = coalesce(erased_at, ?), phone_hash = NULL WHERE {where}",
               (at, param))
    wh.execute(f"DELETE FROM payer_links WHERE {where}", (param,))
    wh.scrub_erased_events(targets)
    _reroot_survivors(wh, targets)
    return targets


def _reroot_survivors(wh: "Warehouse", erased: list[str]) -> None:
    """Live members whose person was erased: each is their own person again, sent down anew."""
    where, param = wh.any_of("person_id", erased)
    live = wh.execute(f"SELECT member_id, phone_hash, joined_at FROM identities WHERE {where} "
                      "AND erased_at IS NULL ORDER BY joined_at, member_id", (param,)).fetchall()
    for mid, _, _ in live:
        wh.execute("UPDATE identities SET person_id = ?, alias_version = NULL, dir_version = NULL "
                   "WHERE member_id = ?", (mid, mid))
    for mid, phone, at in live:  # the same phone among them is still one person
        others = wh.execute("SELECT member_id FROM identities WHERE phone_hash = ? AND member_id != ? "
                            "AND erased_at IS NULL ORDER BY member_id", (phone, mid)).fetchall() if phone else []
        for (other,) in others:
            unify(wh, mid, other, "phone_hash", at)


def unmerge(wh: "Warehouse", merge_id: int, at: str) -> list[str]:
    """Reverse a merge: the members it moved become their own person again; return them."""
    row = wh.execute("SELECT survivor_id, merged_id, moved, reversed_at FROM merges WHERE merge_id = ?",
                       (merge_id,)).fetchone()
    if row is None or row[3] is not None:
        raise LookupError(f"no merge {merge_id} to reverse")
    survivor, merged, moved = row[0], row[1], msgspec.json.decode(row[2], type=list[str])
    wh.executemany("UPDATE identities SET person_id = ?, alias_version = NULL WHERE member_id = ? AND person_id = ?",
                     [(merged, m, survivor) for m in moved])
    wh.execute("UPDATE merges SET reversed_at = ? WHERE merge_id = ?", (at, merge_id))
    wh.execute("INSERT INTO merge_blocks (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING", (survivor, merged))
    return moved


def persons(wh: "Warehouse") -> int:
    return wh.execute("SELECT count(DISTINCT person_id) FROM identities WHERE erased_at IS NULL").fetchone()[0]
