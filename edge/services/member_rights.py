"""What a member does from their own page: see their code, download their data, withdraw consent, leave."""

import asyncio
import sqlite3

import msgspec
from msgspec import structs

from ..domain.clock import iso
from ..domain.events import MemberUpdated
from ..domain.ids import uuid7
from ..domain.models import Member
from ..store import erasure as erasure_repo
from ..store import join as join_repo
from ..store import members as member_repo
from ..store.outbox import append_event
from . import policies
from .erasure import erase_member, person_ids, scrub_backups
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


def accepted_version(store: StoreRuntime, member_id: str) -> str | None:
    """The terms and privacy version the member last accepted (their membership consent)."""
    return member_repo.consent_version(store.reader.conn, member_id, "membership")


async def withdraw_consent(store: StoreRuntime, member_id: str, purpose: str) -> None:
    """Record the withdrawal, clear the flag (and unlink payers for payment_link), tell HQ."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)

    def command(conn: sqlite3.Connection) -> None:
        now = store.clock()
        join_repo.clear_consent(conn, member_id, purpose, now)
        member_repo.record_consent(conn, member_id, purpose, False, policies.current_version(conn, store),
                                   "member_page", now)
        unlinked = join_repo.unlink_payers(conn, member_id) if purpose == "payment_link" else 0
        append_event(conn, MemberUpdated(member_id=member_id, reason="consent_withdrawn", purpose=purpose,
                                         payers_unlinked=unlinked, at=iso(now)), now)

    await store.writer.run(command)


async def delete_membership(store: StoreRuntime, member_id: str) -> None:
    """Erase the member (sales stay, unlinked; member.erased goes to the outbox) and end their sessions."""

    def command(conn: sqlite3.Connection) -> list[str]:
        ids = person_ids(conn, member_id)
        erase_member(conn, store.config.store_id, member_id, store.clock(), "member")
        join_repo.end_sessions(conn, member_id)
        return ids

    await reach_backups(store, await store.writer.run(command))


async def reach_backups(store: StoreRuntime, ids: list[str]) -> None:
    """Erase the same ids in the store's backups, off the writer (a backup is rewritten whole)."""
    if ids:
        await asyncio.to_thread(scrub_backups, store.backup_dirs, store.config.store_id, ids, store.clock())


NEXT_STEPS = {
    "zh": "您的会员资料已在本店删除：手机号、生日、积分、优惠券和支付绑定不再保留，消费记录只保留金额、不再关联您。"
          "总部和其他门店会在下次同步时删除（通常在一天之内）。同一手机号以后重新入会，将是一个全新的会员。",
    "en": "Your membership data is deleted at this store now: phone, birthday, points, coupons and payment links "
          "are gone, and sales keep only their amounts, no longer linked to you. HQ and the chain's other stores "
          "delete it at their next sync (usually within a day). Joining again with the same phone makes a new "
          "membership.",
}


class ErasureRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    member_id: str
    erased_ids: list[str]  # the member and the ids merged into them
    reason: str
    requested_via: str
    recorded_by: str
    recorded_by_key: str
    recorded_at: str
    already_erased: bool
    next_steps: dict[str, str]


async def record_erasure_request(store: StoreRuntime, member_id: str, reason: str, requested_via: str, recorded_by: str,
                                 key_id: str) -> ErasureRequest:
    """A manager records a member's in-person request and the member is erased at once (by id)."""

    def command(conn: sqlite3.Connection) -> ErasureRequest:
        now = store.clock()
        ids = person_ids(conn, member_id)
        done = erase_member(conn, store.config.store_id, member_id, now, "manager")
        join_repo.end_sessions(conn, member_id)
        request = ErasureRequest(request_id=uuid7(), member_id=member_id, erased_ids=ids if done else [],
                                 reason=reason, requested_via=requested_via, recorded_by=recorded_by,
                                 recorded_by_key=key_id, recorded_at=iso(now), already_erased=not done,
                                 next_steps=NEXT_STEPS)
        erasure_repo.add_request(conn, request.request_id, member_id, reason, requested_via, recorded_by, key_id,
                                 request.recorded_at)
        return request

    request = await store.writer.run(command)
    await reach_backups(store, request.erased_ids)
    return request
