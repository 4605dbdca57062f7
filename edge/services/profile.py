"""The customer's own profile and what their membership holds, as the member page and the till show it.

The birthday (month and day, optional) is the customer's: given on the join page, corrected on the
member page or by the cashier at the till. Each change tells HQ (`member.updated`, reason
`profile_updated`). The overview says what the member has and when: points they can use and points
still held (with the day each frees up), usable coupons with their conditions, the tier and what the
next one needs.
"""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.birthday import is_month_day
from ..domain.clock import iso, parse_iso
from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.events import MemberUpdated
from ..domain.models import Member, Tier
from ..domain.offer_texts import benefit_text, conditions_text, tier_gives, yuan
from ..store import coupons as coupon_repo
from ..store import members as member_repo
from ..store.outbox import append_event
from . import join_offers, personal_data
from .runtime import StoreRuntime

CHANNELS = ("member_page", "till", "api")


async def set_birthday(store: StoreRuntime, member_id: str, birthday: str | None, channel: str) -> Member:
    """Set or clear the member's birthday (MM-DD); InvalidInput names `birthday` for a day that does not exist."""
    if birthday is not None and not is_month_day(birthday):
        raise InvalidInput.on("birthday", "not a day of the year (MM-DD)")
    assert channel in CHANNELS

    def command(conn: sqlite3.Connection) -> Member:
        member = member_repo.by_id(conn, member_id)
        if member is None or member.erased_at is not None:
            raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
        if member.birthday == birthday:
            return member
        now = store.clock()
        member_repo.set_birthday(conn, member_id, birthday, now)
        sealed = personal_data.for_member(conn, member_id, now, {"birthday": birthday})
        append_event(conn, MemberUpdated(member_id=member_id, reason="profile_updated", channel=channel,
                                         at=iso(now), personal=sealed), now)
        return msgspec.structs.replace(member, birthday=birthday)

    return await store.writer.run(command)


class HeldPoints(msgspec.Struct, frozen=True):
    points: int
    release_at: str  # when they can be used (RFC 3339 UTC)
    release_local: str  # the same, as the store-local "YYYY-MM-DD HH:MM" a customer reads


class CouponView(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    benefit_zh: str
    benefit_en: str
    conditions_zh: list[str]
    conditions_en: list[str]
    expires_local: str  # store-local "YYYY-MM-DD HH:MM" it stops working


class TierProgress(msgspec.Struct, frozen=True, kw_only=True):
    tier: Tier
    next_tier: Tier | None
    spend_to_next_fen: int  # 0 at the top tier
    next_zh: str  # what the next tier needs and gives, in words
    next_en: str


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    held: list[HeldPoints]
    held_total: int
    coupons: list[CouponView]
    progress: TierProgress


def tier_progress(member: Member, tiers: dict[str, Tier]) -> TierProgress:
    tier = tiers[member.tier_id]
    above = sorted((t for t in tiers.values() if t.rank > tier.rank), key=lambda t: t.rank)
    if not above:
        return TierProgress(tier=tier, next_tier=None, spend_to_next_fen=0, next_zh="您已是最高等级。",
                            next_en="You are at the top tier.")
    nxt = above[0]
    left = max(0, nxt.upgrade_spend_fen - member.lifetime_spend_fen)
    gives_zh, gives_en = tier_gives(nxt, "zh"), tier_gives(nxt, "en")
    zh = f"再消费 {yuan(left)} 升级为{nxt.name_zh}" + (f"（{'，'.join(gives_zh)}）" if gives_zh else "") + "。"
    en = f"Spend {yuan(left)} more to reach {nxt.name_en}" + (f" ({', '.join(gives_en)})" if gives_en else "") + "."
    return TierProgress(tier=tier, next_tier=nxt, spend_to_next_fen=left, next_zh=zh, next_en=en)


def overview(store: StoreRuntime, member: Member, now: datetime | None = None) -> Overview:
    """What the member holds now, for their page."""
    now = now or store.clock()
    conn = store.reader.conn
    tz = store.tz
    held = [HeldPoints(points, release_at, parse_iso(release_at).astimezone(tz).strftime("%Y-%m-%d %H:%M"))
            for points, release_at in member_repo.held_points(conn, member.member_id)]
    ref = store.reference()
    plan = store.offer_plan(ref)
    names = join_offers.sku_names(store)
    coupons = []
    for row in coupon_repo.usable_for(conn, member.member_id, now):
        stored = plan.by_id.get(row.campaign_id)
        if stored is None:
            continue
        c = stored.campaign
        # an issued coupon shows its own expiry, not the campaign's valid_days
        coupons.append(CouponView(
            code=row.code, name_zh=c.name_zh, name_en=c.name_en, benefit_zh=benefit_text(c, "zh"),
            benefit_en=benefit_text(c, "en"), conditions_zh=conditions_text(c, "zh", names, validity=False),
            conditions_en=conditions_text(c, "en", names, validity=False),
            expires_local=parse_iso(row.expires_at).astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    return Overview(held=held, held_total=sum(h.points for h in held), coupons=coupons,
                    progress=tier_progress(member, ref.tiers))
