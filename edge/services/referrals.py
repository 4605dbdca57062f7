"""Referral: resolve a referral code at enrolment; reward both members on the referee's first sale."""

import sqlite3
from datetime import datetime

from ..domain.campaigns import CouponInstances
from ..domain.errors import CapReached, FieldError, NotFound
from ..domain.events import ReferralRevoked, ReferralRewarded
from ..domain.models import Member
from ..domain.referral import MAX_CHAIN, member_id_of, referral_code, reward_refusal
from ..store import campaigns as campaign_repo
from ..store import coupons as coupon_repo
from ..store import members as member_repo
from ..store.outbox import append_event
from . import coupons
from .runtime import StoreRuntime


def resolve_code(conn: sqlite3.Connection, code: str, field: str = "referral_code") -> str:
    """The live member a referral code names; NotFound naming the field otherwise."""
    member_id = member_id_of(code)
    referrer = member_repo.by_id(conn, member_id) if member_id else None
    if referrer is None or referrer.erased_at is not None:
        raise NotFound("no member has this referral code", [FieldError(field, "unknown referral code")])
    return referrer.member_id


def code_for(store: StoreRuntime, member_id: str) -> str:
    """A live member's referral code; NotFound naming member_id otherwise."""
    member = member_repo.by_id(store.reader.conn, member_id)
    if member is None or member.erased_at is not None:
        raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
    return referral_code(member.member_id)


def _chain(conn: sqlite3.Connection, member_id: str) -> list[str]:
    chain: list[str] = []
    current = member_repo.by_id(conn, member_id)
    while current is not None and current.referrer_id and len(chain) < MAX_CHAIN:
        if current.referrer_id in chain:
            break
        chain.append(current.referrer_id)
        current = member_repo.by_id(conn, current.referrer_id)
    return chain


def reward_first_sale(conn: sqlite3.Connection, store: StoreRuntime, referee: Member, sale_id: str,
                      now: datetime) -> str | None:
    """In the sale's transaction: on the referee's first completed sale, coupons for both members.

    Returns why nothing was given (or None when rewarded). The referral_rewards primary key makes
    it once per referee, ever; the campaign's `per_member` caps what one referrer can earn.
    """
    if referee.referrer_id is None:
        return "not referred"
    if campaign_repo.referral_rewarded(conn, referee.member_id):
        return "already rewarded"
    if campaign_repo.completed_sales(conn, referee.member_id) != 1:  # this sale is already written
        return "not the first sale"
    referrer = member_repo.by_id(conn, referee.referrer_id)
    if referrer is None or referrer.erased_at is not None:
        return "referrer gone"
    refusal = reward_refusal(referee.member_id, referrer.member_id, _chain(conn, referrer.member_id))
    if refusal is not None:
        return refusal
    campaign = next((s.campaign for s in campaign_repo.load_campaigns(conn)
                     if s.campaign.kind == "referral" and isinstance(s.campaign.issuance, CouponInstances)), None)
    if campaign is None:
        return "no referral campaign"
    coupons.issue(conn, store, campaign, referee.member_id, "referral",
                  f"referral:referee:{referee.member_id}:{sale_id}", now)
    try:
        coupons.issue(conn, store, campaign, referrer.member_id, "referral",
                      f"referral:referrer:{referee.member_id}:{sale_id}", now)
        referrer_rewarded = True
    except CapReached:  # the referrer has earned all this campaign allows; the referee still gets theirs
        referrer_rewarded = False
    campaign_repo.insert_referral_reward(conn, referee.member_id, referrer.member_id, sale_id,
                                         campaign.campaign_id, now)
    append_event(conn, ReferralRewarded(referee_id=referee.member_id, referrer_id=referrer.member_id, sale_id=sale_id,
                                        campaign_id=campaign.campaign_id, referrer_rewarded=referrer_rewarded), now)
    return None


def take_back(conn: sqlite3.Connection, sale_id: str, now: datetime) -> None:
    """In a void's transaction: a voided first sale earns nothing, so its unused referral coupons are
    revoked and the referee's next completed sale becomes the first one."""
    reward = campaign_repo.reward_of_sale(conn, sale_id)
    if reward is None:
        return
    referee_id, referrer_id = reward
    keys = [f"referral:referee:{referee_id}:{sale_id}", f"referral:referrer:{referee_id}:{sale_id}"]
    revoked = coupon_repo.revoke_unused(conn, keys)
    campaign_repo.delete_referral_reward(conn, referee_id)
    append_event(conn, ReferralRevoked(referee_id=referee_id, referrer_id=referrer_id, sale_id=sale_id,
                                       coupons_revoked=[c.code for c in revoked]), now)
