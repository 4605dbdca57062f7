"""Coupons: issued to a member (welcome on join, referral, manual), listed with the member,
redeemed once in the sale's transaction (see campaigns.record_uses), restored on void, expired on time."""

import secrets
import sqlite3
from datetime import datetime, timedelta

import msgspec

from ..domain.campaigns import Campaign, CouponInstances
from ..domain.clock import iso
from ..domain.errors import CapReached, Conflict, FieldError, NotFound
from ..domain.events import CouponExpired, CouponIssued
from ..schemas import CouponOut, MemberSummary
from ..store import campaigns as campaign_repo
from ..store import coupons as repo
from ..store import members as member_repo
from ..store.outbox import append_event
from .runtime import StoreRuntime

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed at the till


def new_code() -> str:
    return "CP" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def issue(conn: sqlite3.Connection, store: StoreRuntime, campaign: Campaign, member_id: str, source: str,
          issue_key: str, now: datetime) -> repo.CouponRow:
    """Issue one coupon of a coupon campaign to a member, once per `issue_key`; call inside the writer.

    A retry with the same key returns the coupon issued the first time. The campaign's
    `per_member` limit caps how many of its coupons one member may hold over time; `total` caps how
    many are issued at all (e.g. the first 100 joiners), as well as how many are redeemed.
    """
    if not isinstance(campaign.issuance, CouponInstances):
        raise Conflict(f"{campaign.campaign_id} is not issued as coupons",
                       [FieldError("campaign_id", "not a coupon campaign")])
    again = repo.by_issue_key(conn, issue_key)
    if again is not None:
        return again
    cap = campaign.limits.per_member
    if cap is not None and repo.count_for_campaign(conn, campaign.campaign_id, member_id) >= cap:
        raise CapReached(f"this member already holds {cap} coupon(s) of {campaign.campaign_id}",
                         [FieldError("member_id", "per-member coupon limit reached")])
    if campaign.limits.total is not None and repo.count_issued(conn, campaign.campaign_id) >= campaign.limits.total:
        raise CapReached(f"all {campaign.limits.total} coupon(s) of {campaign.campaign_id} were issued",
                         [FieldError("campaign_id", "no coupons left to issue")])
    coupon = repo.CouponRow(code=new_code(), campaign_id=campaign.campaign_id, member_id=member_id, source=source,
                            status="issued", issued_at=iso(now),
                            expires_at=iso(now + timedelta(days=campaign.issuance.valid_days)))
    repo.insert_coupon(conn, coupon, issue_key)
    append_event(conn, CouponIssued(code=coupon.code, campaign_id=coupon.campaign_id, member_id=member_id,
                                    source=source, expires_at=coupon.expires_at), now)
    return coupon


def issue_welcome_coupon(conn: sqlite3.Connection, store: StoreRuntime, member_id: str, campaign_id: str,
                         now: datetime) -> repo.CouponRow | None:
    """The welcome coupon of a join (the standee's campaign): once per member and campaign.

    Returns None when the campaign is gone or inactive, so a join never fails for want of a coupon.
    Call it inside the join's writer transaction.
    """
    stored = campaign_repo.get_campaign(conn, campaign_id)
    if stored is None or not stored.campaign.active or not isinstance(stored.campaign.issuance, CouponInstances):
        return None
    try:
        return issue(conn, store, stored.campaign, member_id, "welcome", f"welcome:{campaign_id}:{member_id}", now)
    except CapReached:
        return None


async def issue_manual(store: StoreRuntime, campaign_id: str, member_id: str, issue_key: str) -> repo.CouponRow:
    """The manager hands a member a coupon; the Idempotency key makes a retry return the same coupon."""

    def command(conn: sqlite3.Connection) -> repo.CouponRow:
        stored = campaign_repo.get_campaign(conn, campaign_id)
        if stored is None:
            raise NotFound("no such campaign", [FieldError("campaign_id", "no campaign with this id")])
        member = member_repo.by_id(conn, member_id)
        if member is None or member.erased_at is not None:
            raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
        return issue(conn, store, stored.campaign, member_id, "manual", f"manual:{issue_key}", store.clock())

    return await store.writer.run(command)


def coupon_out(store: StoreRuntime, coupon: repo.CouponRow, now: datetime) -> CouponOut:
    stored = campaign_repo.get_campaign(store.reader.conn, coupon.campaign_id)
    status = coupon.status
    if status == "issued" and coupon.expires_at <= iso(now):
        status = "expired"
    return CouponOut(code=coupon.code, campaign_id=coupon.campaign_id,
                     name_zh=stored.campaign.name_zh if stored else coupon.campaign_id,
                     name_en=stored.campaign.name_en if stored else coupon.campaign_id,
                     status=status, issued_at=coupon.issued_at, expires_at=coupon.expires_at)


def usable_coupons(store: StoreRuntime, member_id: str) -> list[CouponOut]:
    """The member's coupons that can be used now, soonest expiry first (for lookups and the member page)."""
    now = store.clock()
    return [coupon_out(store, c, now) for c in repo.usable_for(store.reader.conn, member_id, now)]


def with_coupons(store: StoreRuntime, member: MemberSummary,
                 rows: list[repo.CouponRow] | None = None) -> MemberSummary:
    """The member summary with its usable coupons filled in (MemberSummary.coupons); `rows` when the
    caller already read them (a quote prices with the same ones)."""
    if rows is None:
        listed = usable_coupons(store, member.member_id)
    else:
        now = store.clock()
        listed = [coupon_out(store, c, now) for c in rows]
    if not listed:
        return member
    return msgspec.structs.replace(member, coupons=[msgspec.to_builtins(c) for c in listed])


async def expire_due(store: StoreRuntime) -> int:
    """Mark coupons past their expiry as expired, each with its event; return how many."""

    def command(conn: sqlite3.Connection) -> int:
        now = store.clock()
        expired = repo.expire_due(conn, now)
        for c in expired:
            append_event(conn, CouponExpired(code=c.code, campaign_id=c.campaign_id, member_id=c.member_id,
                                             expired_at=c.expires_at), now)
        return len(expired)

    return await store.writer.run(command)
