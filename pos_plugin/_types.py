"""Wire types as the POS sees them. Responses tolerate fields added by newer edges."""

import msgspec


class LineIn(msgspec.Struct, omit_defaults=True):
    sku: str
    qty: int
    unit_price_fen: int | None = None


class Consent(msgspec.Struct):  # sent whole: consent is never implied by a missing field
    policy_version: str
    granted: bool = True
    marketing: bool = False
    payment_link: bool = False


class Payment(msgspec.Struct, omit_defaults=True):
    method: str  # wechat_pay, alipay, card, cash, unionpay, other
    provider: str | None = None
    scope: str = ""
    payer_id: str | None = None
    amount_fen: int | None = None


class Tier(msgspec.Struct):
    tier_id: str
    name_zh: str
    name_en: str
    discount_bps: int
    points_multiplier_pct: int


class MemberSummary(msgspec.Struct, kw_only=True):
    member_id: str
    phone_masked: str
    name: str | None
    tier: Tier
    points_balance: int
    lifetime_spend_fen: int
    joined_at: str
    join_source: str
    marketing_consent: bool
    payment_link_consent: bool
    coupons: list[dict] = []
    created: bool | None = None  # set on enrolment answers


class Discount(msgspec.Struct):
    rule_id: str
    name_zh: str
    name_en: str
    amount_fen: int


class Line(msgspec.Struct, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    qty: int
    unit_price_fen: int
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    discounts: list[Discount]


class JoinOffer(msgspec.Struct):
    url: str
    qr_png_url: str
    expires_at: str


class Quote(msgspec.Struct, kw_only=True):
    checkout_id: str
    lines: list[Line]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[Discount]
    member: MemberSummary | None = None
    join: JoinOffer | None = None


class PaymentResult(msgspec.Struct, kw_only=True):
    method: str
    provider: str | None
    amount_fen: int
    payer_linked: bool
    recognised_member: bool


class Receipt(msgspec.Struct, kw_only=True):
    store_id: str
    store_name: str
    business_day: str
    printed_member: str | None = None
    join: JoinOffer | None = None


class Sale(msgspec.Struct, kw_only=True):
    sale_id: str
    status: str
    checkout_id: str | None
    member: MemberSummary | None
    lines: list[Line]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[Discount]
    points_earned: int
    payment: PaymentResult
    receipt: Receipt
    created_at: str
    tier_upgraded_to: str | None = None
    voided_at: str | None = None
    void_reason: str | None = None
