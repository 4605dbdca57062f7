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


class Payer(msgspec.Struct, omit_defaults=True):
    """A payment identity the POS knows before it charges (pay code, face pay): the quote prices the
    member it belongs to. Sent to the edge only, which keeps it hashed."""

    provider: str
    payer_id: str
    scope: str = ""


class Enrolment(msgspec.Struct, omit_defaults=True):
    """A phone the cashier typed offline with the customer's consent: joins with the replayed sale."""

    phone: str
    consent: Consent
    name: str | None = None
    birthday: str | None = None  # MM-DD


class QuoteRequest(msgspec.Struct, omit_defaults=True, kw_only=True):
    """POST /api/v1/checkouts/quote. Fields at their defaults are left out, so an older edge takes it."""

    lane_id: str
    cashier_id: str
    lines: list[LineIn]
    checkout_id: str | None = None
    member: dict[str, str] | None = None
    coupon_codes: list[str] = []
    payer: Payer | None = None


class SaleRequest(msgspec.Struct, omit_defaults=True, kw_only=True):
    """POST /api/v1/sales. `offline`, `rung_up_at` and `enrolment` are sent only for a sale rung up
    offline, so an edge that predates them still takes every online sale."""

    sale_id: str
    lane_id: str
    cashier_id: str
    lines: list[LineIn]
    payment: Payment
    checkout_id: str | None = None
    member_id: str | None = None
    coupon_codes: list[str] = []
    offline: bool = False
    rung_up_at: str | None = None  # RFC 3339 UTC; required when offline
    enrolment: Enrolment | None = None


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


class PricedCart(msgspec.Struct, kw_only=True):
    """What a till shows and charges, whether the edge priced it (Quote) or the till did (OfflineQuote)."""

    checkout_id: str
    lines: list[Line]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[Discount]


class Quote(PricedCart, kw_only=True):
    member: MemberSummary | None = None
    join: JoinOffer | None = None
    locked_until: str | None = None  # the price lock: a sale on this checkout before then pays this total
    offline = False  # an edge's quote; OfflineQuote says True


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


class PriceException(msgspec.Struct, kw_only=True):
    """The edge recorded what the till charged, which differs from its own price: why, and by how much."""

    exception_id: str
    kind: str = ""
    edge_total_fen: int = 0
    charged_fen: int = 0
    difference_fen: int = 0
    reason: str = ""


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
    offline: bool = False
    rung_up_at: str | None = None
    exception: PriceException | None = None
