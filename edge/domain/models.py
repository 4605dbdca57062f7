"""The store's nouns as msgspec Structs. Money is integer fen; times are aware UTC datetimes."""

from typing import Annotated

import msgspec

Fen = Annotated[int, msgspec.Meta(ge=0, le=10**11)]
Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Qty = Annotated[int, msgspec.Meta(ge=1, le=9_999)]


class Sku(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    category: str
    price_fen: Fen
    perishable: bool = False
    track_stock: bool = True
    member_discount: bool = True  # False for e.g. gift cards: no tier discount


class Tier(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name_zh: str
    name_en: str
    rank: int
    discount_bps: Bps = 0
    points_multiplier_pct: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 100
    upgrade_spend_fen: Fen = 0  # lifetime paid spend that qualifies for this tier


class MemberDayRule(msgspec.Struct, frozen=True, kw_only=True):
    """A weekday on which members get extra basis points on top of their tier discount."""

    campaign_id: str
    name_zh: str
    name_en: str
    weekdays: list[Annotated[int, msgspec.Meta(ge=1, le=7)]]  # ISO: Monday 1 .. Sunday 7
    boost_bps: Bps
    tiers: list[str] | None = None  # None: every tier


class PricingMember(msgspec.Struct, frozen=True):
    member_id: str
    tier_id: str


class CartLine(msgspec.Struct, frozen=True):
    sku: str
    qty: int
    unit_price_fen: int


class Discount(msgspec.Struct, frozen=True):
    rule_id: str
    name_zh: str
    name_en: str
    amount_fen: int


class PricedLine(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    qty: int
    unit_price_fen: int
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    discounts: list[Discount]


class PricedCart(msgspec.Struct, frozen=True, kw_only=True):
    lines: list[PricedLine]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[Discount]  # one entry per rule, summed over lines


class Member(msgspec.Struct, frozen=True):  # positional too: rows build it in field order
    member_id: str
    phone_e164: str | None  # None once erased
    name: str | None
    birthday: str | None  # MM-DD
    tier_id: str
    lifetime_spend_fen: int
    points_balance: int
    joined_at: str
    join_store_id: str
    join_source: str
    join_lane_id: str | None = None
    join_cashier_id: str | None = None
    join_checkout_id: str | None = None
    join_standee_id: str | None = None
    join_receipt_sale_id: str | None = None
    referrer_id: str | None = None
    marketing_consent: bool = False
    payment_link_consent: bool = False
    erased_at: str | None = None
