"""Erasure: the person's data goes; sales stay, unlinked; HQ and the other stores learn by event."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.errors import FieldError, NotFound
from ..domain.events import MemberErased
from ..schemas import SaleOut
from ..store.outbox import append_event

_decode_sale = msgspec.json.Decoder(SaleOut).decode
_encode = msgspec.json.Encoder().encode


def erase_member(conn: sqlite3.Connection, store_id: str, member_id: str, now: datetime, origin: str,
                 emit: bool = True) -> bool:
    """Erase a member inside the caller's writer transaction; False if already erased.

    `origin` says who asked: "member" (their own page), "hq" (a bundle from another store's
    erasure), "manager". With `emit`, a member.erased event carries the phone hash so HQ can
    erase the same person everywhere; an erasure that came from HQ is not echoed back.
    """
    row = conn.execute("SELECT phone_hash, erased_at FROM members WHERE member_id = ?", (member_id,)).fetchone()
    if row is None:
        raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
    phone_hash, erased_at = row
    if erased_at is not None:
        return False
    conn.execute("UPDATE members SET phone_e164 = NULL, name = NULL, birthday = NULL, marketing_consent = 0, "
                 "payment_link_consent = 0, points_balance = 0, erased_at = ?, updated_at = ? WHERE member_id = ?",
                 (iso(now), iso(now), member_id))
    conn.execute("DELETE FROM payment_identities WHERE member_id = ?", (member_id,))
    conn.execute("DELETE FROM consents WHERE member_id = ?", (member_id,))
    conn.execute("DELETE FROM points_ledger WHERE member_id = ?", (member_id,))
    conn.execute("DELETE FROM points_pending WHERE member_id = ?", (member_id,))
    # Sales stay for the books and the join rate, but no longer point at the person, even in the
    # stored answers a replay would return.
    for sale_id, response in conn.execute("SELECT sale_id, response FROM sales WHERE member_id = ?",
                                          (member_id,)).fetchall():
        out = _decode_sale(bytes(response))
        scrubbed = msgspec.structs.replace(out, member=None,
                                           receipt=msgspec.structs.replace(out.receipt, printed_member=None))
        conn.execute("UPDATE sales SET member_id = NULL, response = ? WHERE sale_id = ?", (_encode(scrubbed), sale_id))
    if emit:
        append_event(conn, MemberErased(member_id=member_id, store_id=store_id, phone_hash=phone_hash,
                                        erased_at=iso(now), origin=origin), now)
    return True
