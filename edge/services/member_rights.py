"""What a member does from their own page: see their code, download their data, withdraw consent, leave."""

import sqlite3

from msgspec import structs

from ..domain.clock import iso
from ..domain.events import MemberUpdated
from ..domain.models import Member
from ..store import join as join_repo
from ..store import members as member_repo
from ..store.outbox import append_event
from .erasure import erase_member
from .join import session_hash
from .runtime import StoreRuntime

PURPOSES = ("marketing", "payment_link")


def session_member(store: StoreRuntime, secret: str | None) -> Member | None:
    """The live member a member-page session belongs to, or None."""
    if not secret or len(secret) > 100:
        return None
    member_id = join_repo.session_member(store.reader.conn, session_hash(secret), store.clock())
    member = member_repo.by_id(store.reader.conn, member_id) if member_id else None
    return member if member is not None and member.erased_at is None else None


def data_export(store: StoreRuntime, member: Member) -> dict:
    """Everything this store keeps about the member, as the member may download it."""
    return {
        "store_id": store.config.store_id, "exported_at": iso(store.clock()),
        "member": structs.asdict(member), **join_repo.member_records(store.reader.conn, member.member_id)}


async def withdraw_consent(store: StoreRuntime, member_id: str, purpose: str) -> None:
    """Record the withdrawal, clear the flag (and unlink payers for payment_link), tell HQ."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)

    def command(conn: sqlite3.Connection) -> None:
        now = store.clock()
        join_repo.clear_consent(conn, member_id, purpose, now)
        member_repo.record_consent(conn, member_id, purpose, False, store.config.consent_policy_version,
                                   "member_page", now)
        unlinked = join_repo.unlink_payers(conn, member_id) if purpose == "payment_link" else 0
        append_event(conn, MemberUpdated(member_id=member_id, reason="consent_withdrawn", purpose=purpose,
                                         payers_unlinked=unlinked, at=iso(now)), now)

    await store.writer.run(command)


async def delete_membership(store: StoreRuntime, member_id: str) -> None:
    """Erase the member (sales stay, unlinked; member.erased goes to the outbox) and end their sessions."""

    def command(conn: sqlite3.Connection) -> None:
        erase_member(conn, store.config.store_id, member_id, store.clock(), "member")
        join_repo.end_sessions(conn, member_id)

    await store.writer.run(command)
