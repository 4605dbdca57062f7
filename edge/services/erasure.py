"""Erasure: the person's data goes; sales stay for the books, with no identity; HQ and the other stores
learn by a tombstone that names member ids, never a phone or payer hash.

What one erasure does, in the caller's writer transaction:
- the ids erased are the member named plus the ids HQ merged into the same person (aliases), never
  anyone found by phone: a phone that joins again afterwards is a new member and stays one;
- the member row keeps its id and join attribution (for the join rate) and loses phone, phone hash,
  name, birthday, consents, points, sessions, coupons' link, payer links;
- sales keep amounts, lines and join-rate facts; their member id and payer hash are cleared, as
  are the payer hashes of the member's payers on sales rung up without a member;
- the person's data keys are destroyed, so what was sealed with them in the outbox and in sealed
  batches (and at HQ, which destroys its copies on the tombstone) is unreadable;
- a tombstone row (member id, when, origin) stays, so the id is never materialised again.

After the commit the WAL is checkpointed and truncated (`secure_delete` is on for every write
connection), so no raw phone survives in free pages or old WAL frames, and the tombstone is
appended to `tombstones.log` beside the database, which a restored older copy re-applies at open.
"""

import logging
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import msgspec

from ..domain.clock import iso
from ..domain.errors import FieldError, NotFound
from ..domain.events import MemberErased
from ..schemas import SaleOut
from ..store import data_keys
from ..store import erasure as repo
from ..store.erasure import erased, person_ids
from ..store.outbox import append_event
from ..store.writer import after_commit

log = logging.getLogger(__name__)
_decode_sale = msgspec.json.Decoder(SaleOut).decode
_encode = msgspec.json.Encoder().encode
TOMBSTONES = "tombstones.log"
DB_NAME = "store.db"


def erase_member(conn: sqlite3.Connection, store_id: str, member_id: str, now: datetime, origin: str,
                 emit: bool = True, also: list[str] | None = None) -> bool:
    """Erase a member and the ids merged into them, inside the caller's writer transaction; False if
    nothing was left to erase.

    `origin` says who asked: "member" (their own page), "manager" (in person at the store), "hq"
    (a tombstone from HQ), "restore" (a tombstone re-applied to a restored copy). With `emit`, a
    member.erased tombstone tells HQ; a tombstone that came from HQ is not echoed back. `also`: more
    ids the tombstone names (HQ's view of the person), erased by id when they are here.
    """
    if not repo.member_exists(conn, member_id) and origin in ("member", "manager"):
        raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
    # A member's own request covers the ids this store knows HQ merged into them; HQ's tombstone
    # names every id itself, and is applied to exactly those ids (an alias that arrived since may
    # be a later join HQ merged by phone before it learnt of the erasure: not this person's).
    ids = person_ids(conn, member_id) if origin in ("member", "manager") else [member_id]
    ids += [m for m in (also or []) if m not in ids]
    fresh = [m for m in ids if not erased(conn, m)]
    if not fresh:
        return False
    keys = scrub(conn, fresh, now)
    repo.add_tombstones(conn, fresh, iso(now), origin)
    if emit:
        append_event(conn, MemberErased(member_id=member_id, store_id=store_id, phone_hash=None, erased_at=iso(now),
                                        origin=origin, member_ids=fresh, keys_destroyed=keys), now)
    after_commit(lambda: _after_commit(conn, fresh if origin not in ("restore", "backup") else [], iso(now)))
    return True


def scrub(conn: sqlite3.Connection, ids: list[str], now: datetime) -> list[str]:
    """Remove the personal data of these member ids; return the data keys destroyed."""
    payers = repo.scrub_rows(conn, ids, iso(now), _scrubbed_answer)
    return data_keys.destroy(conn, ids, payers)


def _scrubbed_answer(response: bytes) -> bytes:
    out = _decode_sale(response)
    receipt = msgspec.structs.replace(out.receipt, printed_member=None, member_page=None)
    return _encode(msgspec.structs.replace(out, member=None, receipt=receipt))


def _after_commit(conn: sqlite3.Connection, ids: list[str], at: str) -> None:
    main = Path(conn.execute("PRAGMA database_list").fetchone()[2] or ".")
    if main.name == DB_NAME:  # the store itself, not a backup being scrubbed
        record_tombstones(main.parent, ids, at)
    settle(conn)


def settle(conn: sqlite3.Connection) -> None:
    """After an erasure commits: move every WAL frame into the database and truncate the WAL, so the
    old versions of the erased rows (raw phone included) are in no file. A reader holding an old
    snapshot delays it; the busy timeout waits for it. Inside a transaction (a script erasing
    outside the writer) the caller commits and settles."""
    if conn.in_transaction:
        return
    for _ in range(3):
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
    log.warning("erasure: the WAL could not be truncated (a reader held it); the next erasure retries")


def record_tombstones(data_dir: Path, ids: list[str], at: str) -> None:
    """Append tombstones to the file beside the database: a restored older copy re-applies them."""
    if not ids:
        return
    path = data_dir / TOMBSTONES
    with open(path, "a", encoding="ascii") as f:
        f.write("".join(f"{m} {at}\n" for m in ids))
        f.flush()
        os.fsync(f.fileno())


def read_tombstones(data_dir: Path) -> list[str]:
    path = data_dir / TOMBSTONES
    if not path.exists():
        return []
    return [line.split(" ", 1)[0] for line in path.read_text(encoding="ascii").splitlines() if line.strip()]


def reapply_tombstones(conn: sqlite3.Connection, data_dir: Path, store_id: str, now: datetime) -> int:
    """Erase again, by id, members a restored older database still holds; return how many."""
    done = 0
    for member_id in read_tombstones(data_dir):
        if not erased(conn, member_id):
            done += erase_member(conn, store_id, member_id, now, origin="restore", emit=False)
    return done


def recorded_since(conn: sqlite3.Connection, ids: list[str]) -> list[str]:
    """Of these ids, the ones now tombstoned here."""
    return [m for m in ids if erased(conn, m)]


def scrub_backups(directories: list[Path], store_id: str, ids: list[str], now: datetime) -> list[Path]:
    """Erase these ids in every backup of this store found in `directories`; return the files changed.

    A backup is a whole copy of the database, taken before the erasure: left alone it would hold
    the phone, and its own copy of the data keys, for as long as it is kept. Each is erased by id
    like the store (secure_delete, then VACUUM so no freed page keeps a byte of it).
    """
    changed = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.db")):
            try:
                conn = sqlite3.connect(str(path), isolation_level=None)
            except sqlite3.Error:
                continue
            try:
                conn.execute("PRAGMA secure_delete = ON")
                row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
                if row is None or row[0] != store_id:
                    continue
                conn.execute("BEGIN IMMEDIATE")
                try:
                    done = erase_member(conn, store_id, ids[0], now, origin="backup", emit=False, also=ids[1:])
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                if done:
                    conn.execute("VACUUM")
                    changed.append(path)
            except sqlite3.DatabaseError as exc:  # not a store database, or one from an older schema
                log.warning("erasure: backup %s not scrubbed: %s", path.name, exc)
            finally:
                conn.close()
    return changed
