"""The campaign model: what an offer gives, to whom, when, how often, and how it stacks.

A campaign is one msgspec Struct stored as JSON in the `campaigns` table (local ones from
`POST /api/v1/campaigns`, HQ ones from the config bundle with origin='hq'). Benefits and issuance
are tagged unions, dispatched with `match`. Everything here is pure: time comes in as `now`,
read in the store's zone only for rules (weekdays, time windows, date ranges, birthdays).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta, Struct

from .errors import Problems
from .models import Fen, MemberDayRule
from .text import Id, Printable

Kind = Literal["welcome", "flash_inventory", "member_day", "birthday", "anniversary", "referral", "manual"]
LocalTime = Annotated[str, Meta(max_length=5, pattern=r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z")]  # HH:MM, store-local
LocalDate = Annotated[str, Meta(max_length=10, pattern=r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")]  # YYYY-MM-DD, store-local
Weekday = Annotated[int, Meta(ge=1, le=7)]  # ISO: Monday 1 .. Sunday 7
Count = Annotated[int, Meta(ge=0, le=10**9)]
CampaignId = Id
Name = Annotated[Printable, Meta(min_length=1, max_length=60)]


# --- benefit: what the customer gets ---------------------------------------------------------------

class PercentOff(Struct, frozen=True, tag="percent_off", forbid_unknown_fields=True):
    """Basis points off: per unit at item level, off the eligible total at order level, or as the
    member-day boost on top of the tier discount (kind member_day)."""

    bps: Annotated[int, Meta(ge=1, le=10_000)]


class AmountOff(Struct, frozen=True, tag="amount_off", forbid_unknown_fields=True):
    """Fen off each unit at item level, or off the order (满减) at order level."""

    fen: Annotated[int, Meta(ge=1, le=10**9)]


class FixedPrice(Struct, frozen=True, tag="fixed_price", forbid_unknown_fields=True):
    """Each unit in scope sells at this price (never above its own price). Item level only."""

    fen: Fen


class PointsMultiplier(Struct, frozen=True, tag="points_multiplier", forbid_unknown_fields=True):
    """Points earned on the sale are multiplied (200 = double points); the price does not change."""

    pct: Annotated[int, Meta(ge=100, le=1_000)]


Benefit = PercentOff | AmountOff | FixedPrice | PointsMultiplier


# --- issuance: applied by itself, or only with a coupon ---------------------------------------------

class Automatic(Struct, frozen=True, tag="automatic", forbid_unknown_fields=True):
    """Applies to every cart that meets the conditions."""


class CouponInstances(Struct, frozen=True, tag="coupon", forbid_unknown_fields=True):
    """Issued to one member as a coupon with its own code, valid `valid_days` from issue; once, ever."""

    valid_days: Annotated[int, Meta(ge=1, le=3660)] = 30


class SharedCode(Struct, frozen=True, tag="code", forbid_unknown_fields=True):
    """One public code typed or scanned at the till (e.g. a poster code); its limits cap the uses."""

    code: Annotated[str, Meta(min_length=3, max_length=32, pattern=r"\A[A-Za-z0-9_\-]+\Z")]


Issuance = Automatic | CouponInstances | SharedCode


class Scope(Struct, frozen=True, forbid_unknown_fields=True):
    """Where it applies: None means everywhere / everything. A line is in scope by SKU or category."""

    store_ids: Annotated[list[Id], Meta(max_length=10_000)] | None = None
    skus: Annotated[list[Id], Meta(max_length=10_000)] | None = None
    categories: Annotated[list[Id], Meta(max_length=1_000)] | None = None


class Conditions(Struct, frozen=True, forbid_unknown_fields=True):
    min_spend_fen: Fen = 0  # on the list-price subtotal of the lines in scope
    tiers: Annotated[list[Id], Meta(max_length=100)] | None = None
    members_only: bool = False
    weekdays: Annotated[list[Weekday], Meta(max_length=7)] | None = None
    time_from: LocalTime | None = None  # local window [from, to); to before from crosses midnight
    time_to: LocalTime | None = None
    date_from: LocalDate | None = None  # inclusive local dates
    date_to: LocalDate | None = None
    window_days: Annotated[int, Meta(ge=0, le=31)] = 0  # birthday/anniversary: days either side


class Limits(Struct, frozen=True, forbid_unknown_fields=True):
    """Caps on redemptions (orders; units for flash). `store_cap` is this store's lease of an HQ cap."""

    total: Count | None = None
    per_member: Count | None = None
    per_day: Count | None = None
    store_cap: Count | None = None


class Stacking(Struct, frozen=True, forbid_unknown_fields=True):
    """`priority`: higher applies first among stackable order offers. `exclusive_group`: at most one
    campaign of a group per order. `stackable`: an order-level offer that adds to the chosen one."""

    priority: Annotated[int, Meta(ge=-1000, le=1000)] = 0
    exclusive_group: Annotated[Printable, Meta(max_length=40)] | None = None
    stackable: bool = False


class Flash(Struct, frozen=True, forbid_unknown_fields=True):
    """Idle-hour offer: from `start` (local) until `end`, the stock above `threshold` sells at the benefit."""

    start: LocalTime
    threshold: Count
    end: LocalTime | None = None  # None: until the business day ends


class Campaign(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    campaign_id: CampaignId
    kind: Kind
    name_zh: Name
    name_en: Name
    benefit: Benefit
    applies_to: Literal["unit", "order"] = "order"  # item level (per unit) or order level
    scope: Scope = Scope()
    conditions: Conditions = Conditions()
    limits: Limits = Limits()
    issuance: Issuance = Automatic()
    stacking: Stacking = Stacking()
    flash: Flash | None = None
    active: bool = True
    # This store's lease of an HQ campaign's chain-wide cap, as the config bundle writes it (top level);
    # `limits.store_cap` says the same for a campaign written by hand. Either way the store never
    # spends past it.
    store_cap: Count | None = None

    @property
    def lease(self) -> int | None:
        return self.limits.store_cap if self.limits.store_cap is not None else self.store_cap


# --- checks that need more than one field -----------------------------------------------------------

def check_campaign(c: Campaign, prefix: str = "") -> None:
    """Raise InvalidInput naming every field that makes no sense together with the others."""
    p = Problems()
    if isinstance(c.benefit, FixedPrice) and c.applies_to != "unit":
        p.add(prefix + "applies_to", "a fixed price applies per unit: use \"unit\"")
    if c.kind == "flash_inventory":
        if c.flash is None:
            p.add(prefix + "flash", "a flash_inventory campaign needs flash {start, threshold}")
        if c.applies_to != "unit":
            p.add(prefix + "applies_to", "flash offers apply per unit")
        if not c.scope.skus:
            p.add(prefix + "scope.skus", "a flash offer names the SKUs whose surplus it sells")
    elif c.flash is not None:
        p.add(prefix + "flash", "only a flash_inventory campaign has a flash block")
    if c.kind == "member_day" and not isinstance(c.benefit, PercentOff | PointsMultiplier):
        p.add(prefix + "benefit", "member day gives a percent boost or a points multiplier")
    if c.kind in ("welcome", "referral") and not isinstance(c.issuance, CouponInstances):
        p.add(prefix + "issuance", f"{c.kind} campaigns are issued as coupons")
    if (c.conditions.time_from is None) != (c.conditions.time_to is None):
        p.add(prefix + "conditions.time_to", "a time window needs both time_from and time_to")
    if c.conditions.date_from and c.conditions.date_to and c.conditions.date_to < c.conditions.date_from:
        p.add(prefix + "conditions.date_to", "ends before it starts")
    for field, value in (("conditions.date_from", c.conditions.date_from),
                         ("conditions.date_to", c.conditions.date_to)):
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                p.add(prefix + field, "not a calendar date")
    p.raise_if_any()


def from_member_day_rule(rule: MemberDayRule) -> Campaign:
    """The spine's MemberDayRule rows, read as campaigns (older stores and bundles still carry them)."""
    return Campaign(campaign_id=rule.campaign_id, kind="member_day", name_zh=rule.name_zh, name_en=rule.name_en,
                    benefit=PercentOff(rule.boost_bps) if rule.boost_bps else PointsMultiplier(100),
                    conditions=Conditions(weekdays=list(rule.weekdays), tiers=rule.tiers, members_only=True))


def decode_campaign(body: bytes | str, campaign_id: str | None = None, kind: str | None = None) -> Campaign:
    """A stored campaign body. The row's id and kind fill in what an HQ body leaves out, and a
    member_day row in the spine's MemberDayRule form (it has `boost_bps`) is converted."""
    raw = msgspec.json.decode(body)
    if isinstance(raw, dict):
        if campaign_id is not None:
            raw.setdefault("campaign_id", campaign_id)
        if kind is not None:
            raw.setdefault("kind", kind)
        if "boost_bps" in raw:
            raw.pop("kind", None)
            return from_member_day_rule(msgspec.convert(raw, MemberDayRule))
    return msgspec.convert(raw, Campaign)


# --- time rules: read `now` in the store's zone -----------------------------------------------------

@lru_cache(maxsize=512)  # a store has a few dozen distinct times; parsing them per quote showed in profiles
def _hm(text: str) -> time:
    return time.fromisoformat(text)


def in_time_window(start: str, end: str, local: datetime) -> bool:
    """[start, end) in local time; an end at or before the start means the window crosses midnight."""
    t, a, b = local.time(), _hm(start), _hm(end)
    return a <= t < b if a < b else (t >= a or t < b)


def near_anniversary(month_day: str, today: date, window_days: int) -> bool:
    """True when `today` is within `window_days` of this year's (or an adjacent year's) MM-DD."""
    month, day = int(month_day[:2]), int(month_day[3:5])
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            when = date(year, month, day)
        except ValueError:  # 29 Feb in a common year is celebrated on 28 Feb
            when = date(year, month, 28)
        if abs((when - today).days) <= window_days:
            return True
    return False


class Customer(Struct, frozen=True, kw_only=True):
    """What the rules may know about the customer: nothing (None member_id) for a non-member."""

    member_id: str | None = None
    tier_id: str | None = None
    birthday: str | None = None  # MM-DD
    joined_on: str | None = None  # local YYYY-MM-DD of joining


def conditions_hold(c: Campaign, who: Customer, local: datetime, store_id: str | None,
                    business_day_start: time = time(4, 0)) -> bool:
    """Whether the campaign's non-cart conditions hold for this customer, store and local moment."""
    cond = c.conditions
    if not c.active:
        return False
    if c.scope.store_ids is not None and store_id not in c.scope.store_ids:
        return False
    if cond.members_only or cond.tiers is not None or c.kind in ("member_day", "birthday", "anniversary"):
        if who.member_id is None:
            return False
    if cond.tiers is not None and who.tier_id not in cond.tiers:
        return False
    if cond.weekdays is not None and local.isoweekday() not in cond.weekdays:
        return False
    today = local.date().isoformat()
    if cond.date_from is not None and today < cond.date_from:
        return False
    if cond.date_to is not None and today > cond.date_to:
        return False
    if cond.time_from is not None and cond.time_to is not None and not in_time_window(cond.time_from,
                                                                                      cond.time_to, local):
        return False
    if c.kind == "birthday" and (who.birthday is None
                                 or not near_anniversary(who.birthday, local.date(), cond.window_days)):
        return False
    if c.kind == "anniversary":
        if who.joined_on is None or who.joined_on[:4] == today[:4]:  # not in the year of joining
            return False
        if not near_anniversary(who.joined_on[5:], local.date(), cond.window_days):
            return False
    if c.flash is not None and not flash_open(c.flash, local, business_day_start):
        return False
    return True


def may_reach(c: Campaign, skus: set[str], categories: set[str]) -> bool:
    """Whether an offer could touch a cart of these SKUs and categories: a points multiplier or an
    unscoped offer always may; a scoped one only through a SKU or category the cart holds (else the
    engine's fit refuses it). Lets a quote drop most offers before reading their caps."""
    sc = c.scope
    if isinstance(c.benefit, PointsMultiplier) or (sc.skus is None and sc.categories is None):
        return True
    return any(x in skus for x in sc.skus or ()) or any(x in categories for x in sc.categories or ())


def flash_open(flash: Flash, local: datetime, business_day_start: time) -> bool:
    """From the start time until the end time, or until the business day closes (its next start)."""
    t, a = local.time(), _hm(flash.start)
    b = _hm(flash.end) if flash.end else business_day_start
    return a <= t < b if a < b else (t >= a or t < b)


def expires_at(c: Campaign, tz: ZoneInfo) -> datetime | None:
    """When an automatic campaign stops: the end of its last local date, if it has one."""
    if c.conditions.date_to is None:
        return None
    last = date.fromisoformat(c.conditions.date_to) + timedelta(days=1)
    return datetime.combine(last, time(0, 0), tz)


EXAMPLES: dict[str, dict] = {
    "welcome": {
        "campaign_id": "welcome-5", "kind": "welcome", "name_zh": "新人立减5元", "name_en": "Welcome ¥5 off",
        "benefit": {"type": "amount_off", "fen": 500}, "applies_to": "order",
        "conditions": {"min_spend_fen": 2000}, "issuance": {"type": "coupon", "valid_days": 14},
        "limits": {"per_member": 1}},
    "flash_inventory": {
        "campaign_id": "flash-pastry", "kind": "flash_inventory", "name_zh": "闲时烘焙半价",
        "name_en": "Idle-hour pastry half price", "benefit": {"type": "percent_off", "bps": 5000},
        "applies_to": "unit", "scope": {"skus": ["CROISSANT", "EGG-TART"]},
        "flash": {"start": "16:00", "threshold": 10}},
    "member_day": {
        "campaign_id": "member-day-friday", "kind": "member_day", "name_zh": "周五会员日",
        "name_en": "Friday Member Day", "benefit": {"type": "percent_off", "bps": 500},
        "conditions": {"weekdays": [5], "members_only": True}},
    "birthday": {
        "campaign_id": "birthday-cake", "kind": "birthday", "name_zh": "生日蛋糕八折", "name_en": "Birthday cake 20% off",
        "benefit": {"type": "percent_off", "bps": 2000}, "applies_to": "unit",
        "scope": {"categories": ["pastry"]}, "conditions": {"window_days": 3}, "limits": {"per_member": 1}},
    "anniversary": {
        "campaign_id": "anniversary-double", "kind": "anniversary", "name_zh": "入会周年双倍积分",
        "name_en": "Anniversary double points", "benefit": {"type": "points_multiplier", "pct": 200},
        "conditions": {"window_days": 7}},
    "referral": {
        "campaign_id": "referral-10", "kind": "referral", "name_zh": "邀请有礼10元", "name_en": "Referral ¥10 off",
        "benefit": {"type": "amount_off", "fen": 1000}, "conditions": {"min_spend_fen": 3000},
        "issuance": {"type": "coupon", "valid_days": 30}, "limits": {"per_member": 5}},
    "manual": {
        "campaign_id": "beans-poster", "kind": "manual", "name_zh": "咖啡豆满100减15",
        "name_en": "Beans: ¥15 off ¥100", "benefit": {"type": "amount_off", "fen": 1500},
        "scope": {"store_ids": ["demo-001"], "categories": ["retail"]},
        "conditions": {"min_spend_fen": 10000, "time_from": "09:00", "time_to": "21:00"},
        "issuance": {"type": "code", "code": "BEANS15"}, "limits": {"total": 100, "per_day": 20},
        "stacking": {"exclusive_group": "retail", "priority": 5}},
}
