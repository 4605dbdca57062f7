"""Wire types of the HTTP contract (API.md). They only gain fields, always with defaults.

Validation happens where data enters: Litestar decodes bodies into these with msgspec, which
checks the `Annotated` constraints. Money is integer fen; a float is refused.
"""

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from .domain.campaigns import Campaign
from .domain.models import Fen, Qty
from .domain.text import Id, Printable

ShortText = Annotated[Printable, Meta(max_length=120)]
JoinSource = Literal["cashier", "checkout_qr", "standee", "receipt", "referral", "import"]
PaymentMethod = Literal["wechat_pay", "alipay", "card", "cash", "unionpay", "other"]
Birthday = Annotated[str, Meta(max_length=5, pattern=r"\A(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")]


class ConsentIn(Struct, forbid_unknown_fields=True):
    policy_version: Annotated[Printable, Meta(min_length=1, max_length=32)]
    granted: bool  # membership: required
    marketing: bool = False
    payment_link: bool = False


class ErasureRequestIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A member's erasure request made in person, as the manager records it."""

    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    recorded_by: Annotated[str, Meta(min_length=1, max_length=64)]  # the staff member, as they sign
    requested_via: Literal["in_person", "phone_call", "letter", "email"] = "in_person"


class EnrolIn(Struct, forbid_unknown_fields=True):
    phone: Annotated[Printable, Meta(min_length=1, max_length=40)]
    consent: ConsentIn
    source: JoinSource = "cashier"
    lane_id: Id | None = None
    cashier_id: Id | None = None
    name: ShortText | None = None
    birthday: Birthday | None = None
    checkout_id: Id | None = None
    referral_code: Id | None = None
    standee_id: Id | None = None


class TierOut(Struct):
    tier_id: str
    name_zh: str
    name_en: str
    discount_bps: int
    points_multiplier_pct: int


class MemberSummary(Struct, kw_only=True):
    member_id: str
    phone_masked: str
    name: str | None
    tier: TierOut
    points_balance: int
    lifetime_spend_fen: int
    joined_at: str
    join_source: str
    marketing_consent: bool
    payment_link_consent: bool
    coupons: list[dict] = []


class EnrolOut(MemberSummary, kw_only=True):
    created: bool


class MemberRef(Struct, forbid_unknown_fields=True):
    """Who the customer is: exactly one of the fields."""

    phone: Annotated[Printable, Meta(max_length=40)] | None = None
    member_id: Id | None = None
    code: Annotated[Printable, Meta(max_length=200)] | None = None


class LineIn(Struct, forbid_unknown_fields=True):
    sku: Id
    qty: Qty
    unit_price_fen: Fen | None = None  # a price override; the catalog price when absent


Lines = Annotated[list[LineIn], Meta(min_length=1, max_length=200)]
CouponCodes = Annotated[list[Id], Meta(max_length=20)]


class PayerIn(Struct, forbid_unknown_fields=True):
    """The payer a POS knows before it charges (a pay code, face pay): never stored raw."""

    provider: Id
    payer_id: Annotated[Printable, Meta(min_length=1, max_length=128)]
    scope: Annotated[Printable, Meta(max_length=64)] = ""


class QuoteIn(Struct, forbid_unknown_fields=True):
    lane_id: Id
    cashier_id: Id
    lines: Lines
    checkout_id: Id | None = None
    member: MemberRef | None = None
    coupon_codes: CouponCodes = []
    redeem_points: Annotated[int, Meta(ge=0, le=10**8)] = 0  # preview: what these points would take off
    payer: PayerIn | None = None  # the quote prices the member this payer is linked to; the lock holds it


class DiscountOut(Struct):
    rule_id: str
    name_zh: str
    name_en: str
    amount_fen: int


class LineOut(Struct, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    qty: int
    unit_price_fen: int
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    discounts: list[DiscountOut]


class JoinOffer(Struct):
    url: str
    qr_png_url: str
    expires_at: str


class OfferNoteOut(Struct, kw_only=True):
    """Why an offer was or was not used: the quote explains the engine's choice."""

    offer_id: str
    name_zh: str
    name_en: str
    applied: bool
    reason: str


class QuoteOut(Struct, kw_only=True):
    checkout_id: str
    lane_id: str
    cashier_id: str
    lines: list[LineOut]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[DiscountOut]
    member: MemberSummary | None
    join: JoinOffer | None
    quoted_at: str
    notes: list[OfferNoteOut] = []
    points_multiplier_pct: int = 100
    locked_until: str | None = None  # the price holds until then for a sale with this checkout_id


class PaymentIn(Struct, forbid_unknown_fields=True):
    method: PaymentMethod
    provider: Id | None = None  # wechat, alipay, a card network
    scope: Annotated[Printable, Meta(max_length=64)] = ""  # app id / merchant id the payer id is scoped to
    payer_id: Annotated[Printable, Meta(min_length=1, max_length=128)] | None = None
    amount_fen: Fen | None = None


class SaleEnrolmentIn(Struct, forbid_unknown_fields=True):
    """A phone the cashier typed (offline) with the customer's consent: the customer joins at this checkout."""

    phone: Annotated[Printable, Meta(min_length=1, max_length=40)]
    consent: ConsentIn
    name: ShortText | None = None
    birthday: Birthday | None = None


RFC3339 = Annotated[str, Meta(min_length=20, max_length=40,
                              pattern=r"\A\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z")]


class SaleIn(Struct, forbid_unknown_fields=True):
    sale_id: Id
    lane_id: Id
    cashier_id: Id
    lines: Lines
    payment: PaymentIn
    checkout_id: Id | None = None
    member_id: Id | None = None
    coupon_codes: CouponCodes = []
    redeem_points: Annotated[int, Meta(ge=0, le=10**8)] = 0  # points to spend as a discount
    member_confirmation: Annotated[Printable, Meta(max_length=16)] | None = None  # the member's own: last 4 of phone
    offline: bool = False  # rung up while the edge was unreachable: replayed from the POS's journal
    rung_up_at: RFC3339 | None = None  # when the till rang it up (required when offline)
    enrolment: SaleEnrolmentIn | None = None


class PaymentOut(Struct, kw_only=True):
    method: str
    provider: str | None
    amount_fen: int  # what the till charged: the recorded amount
    payer_linked: bool  # this sale's payer is now linked to the member
    recognised_member: bool  # the member was recognised from the payer alone


class ReceiptOut(Struct, kw_only=True):
    store_id: str
    store_name: str
    business_day: str
    printed_member: str | None  # masked phone, or None for a non-member
    join: JoinOffer | None  # the receipt's join QR for a non-member
    # a member's receipt: a single-use link to their own member page (data download, deletion)
    member_page: JoinOffer | None = None


class SaleExceptionOut(Struct, kw_only=True):
    exception_id: str
    kind: str  # price | offline
    edge_total_fen: int
    charged_fen: int
    difference_fen: int  # charged minus the edge's price
    reason: str


class SaleOut(Struct, kw_only=True):
    sale_id: str
    status: Literal["completed", "voided"]
    checkout_id: str | None
    lane_id: str
    cashier_id: str
    member: MemberSummary | None
    lines: list[LineOut]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[DiscountOut]
    points_earned: int
    tier_upgraded_to: str | None
    payment: PaymentOut
    receipt: ReceiptOut
    created_at: str
    voided_at: str | None = None
    void_reason: str | None = None
    points_redeemed: int = 0
    points_pending_until: str | None = None  # earned points are held until then (a return takes them back)
    offline: bool = False
    rung_up_at: str | None = None
    exception: SaleExceptionOut | None = None  # the till charged other than the edge's price, or rang up offline


class ExceptionOut(Struct, kw_only=True):
    """One entry of the manager's exceptions list. Kinds are open: price, offline, stock_below_zero,
    replay_refused, and whatever other parts of the store add."""

    exception_id: str
    kind: str
    status: Literal["open", "resolved"]
    created_at: str
    reason: str
    sale_id: str | None = None
    lane_id: str | None = None
    business_day: str | None = None
    edge_total_fen: int | None = None
    charged_fen: int | None = None
    difference_fen: int | None = None
    sku: str | None = None
    on_hand_after: int | None = None
    body: str | None = None  # a refused replay's body as received (bounded)
    error: str | None = None
    resolved_at: str | None = None
    resolved_note: str | None = None


class ExceptionsOut(Struct, kw_only=True):
    exceptions: list[ExceptionOut]
    open_count: int


class ResolveIn(Struct, forbid_unknown_fields=True):
    note: Annotated[Printable, Meta(min_length=1, max_length=500)]


class CheckoutCancelled(Struct, kw_only=True):
    checkout_id: str
    status: Literal["cancelled"]
    released: int  # reservations given back


class VoidIn(Struct, forbid_unknown_fields=True):
    reason: Annotated[Printable, Meta(min_length=1, max_length=200)]


class StockIn(Struct, forbid_unknown_fields=True):
    on_hand: Annotated[int, Meta(ge=0, le=10**7)]


class StockItem(Struct, forbid_unknown_fields=True):
    sku: Id
    on_hand: Annotated[int, Meta(ge=0, le=10**7)]


class BulkStockIn(Struct, forbid_unknown_fields=True):
    items: Annotated[list[StockItem], Meta(min_length=1, max_length=5000)]


class StockOut(Struct):
    sku: str
    on_hand: int


class CatalogItemOut(Struct, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    category: str
    price_fen: int
    perishable: bool
    track_stock: bool
    on_hand: int | None


class JoinRateRowOut(Struct, kw_only=True):
    key: str
    transactions: int
    nonmember_transactions: int
    joins: int
    join_rate_bps: int


class JoinRateOut(Struct, kw_only=True):
    from_day: str = msgspec.field(name="from")
    to_day: str = msgspec.field(name="to")
    by: str
    definition: str
    rows: list[JoinRateRowOut]
    total: JoinRateRowOut


class FieldProblem(Struct):
    field: str
    reason: str


class Problem(Struct, kw_only=True):
    """application/problem+json (RFC 9457), as every 4xx and 5xx answers."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


class CampaignOut(Struct, kw_only=True):
    campaign: Campaign
    origin: Literal["local", "hq"]
    updated_at: str


class CouponOut(Struct, kw_only=True):
    code: str
    campaign_id: str
    name_zh: str
    name_en: str
    status: str
    issued_at: str
    expires_at: str


class SegmentMemberOut(Struct, kw_only=True):
    member_id: str
    phone_masked: str
    orders_30d: int
    last_order_at: str | None


class SegmentOut(Struct, kw_only=True):
    segment: Literal["loyal", "new", "active", "at_risk", "dormant"]
    count: int
    members: list[SegmentMemberOut]


class SegmentsOut(Struct, kw_only=True):
    as_of: str
    definition: str
    segments: list[SegmentOut]


class HealthOut(Struct, kw_only=True):
    ok: bool
    version: str
    store_id: str
    database_writable: bool
    outbox_depth: int



# --- scan-to-join: standees, checkouts, join offers ---

class StandeeIn(Struct, forbid_unknown_fields=True):
    label: Annotated[Printable, Meta(min_length=1, max_length=60)]
    location: Annotated[Printable, Meta(max_length=60)] = ""
    welcome_campaign_id: Id | None = None
    standee_id: Id | None = None  # client-chosen, so a retried create is safe


class StandeeOut(Struct, kw_only=True):
    standee_id: str
    short_code: str
    label: str
    location: str
    welcome_campaign_id: str | None
    url: str  # what the QR encodes
    short_url: str  # printed under the QR for typing by hand
    qr_png_url: str
    poster_png_url: str
    poster_pdf_url: str
    scans: int
    joins: int
    created_at: str
    revoked_at: str | None


class CheckoutOut(Struct, kw_only=True):
    checkout_id: str
    status: Literal["open", "paid", "unknown"]  # unknown: no quote since the service started, but a join
    lane_id: str | None
    cashier_id: str | None
    quote: QuoteOut | None  # the last quote the lane made for it
    member: MemberSummary | None  # once the customer joined (or identified) through its QR
    joined_at: str | None
    new_member: bool  # the member joined through this checkout (counts in the join rate)
    join: JoinOffer | None
    sale_id: str | None
