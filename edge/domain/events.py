"""Every event a store sends HQ through its outbox: HQ's contract, in one place.

An event is a frozen msgspec Struct; its outbox `type` is the class's `TYPE`; its payload is the
Struct encoded as JSON, fields in declaration order (msgspec's order). The wire predates these
types, so each Struct declares its fields in the order, and with the nulls, HQ already ingests:
tests decode batches recorded before the types existed and re-encode them byte for byte. A field
that only some events of a type carry is `UNSET` when absent, so it is left out, not sent as null.

Wire types only grow: a new field goes last, with a default, and decoding ignores fields it does not
know, so an HQ on older code reads a newer store's events. HQ decodes a batch line, type and payload
together, into the tagged union `EventLine` (`decode_line`).

Imports the standard library and msgspec only, like the rest of the domain.
"""

from typing import Any, ClassVar, Union

import msgspec
from msgspec import UNSET, Struct, UnsetType


class Event(Struct, frozen=True, kw_only=True):
    """Base of every outbox event; `TYPE` is the outbox row's type."""

    TYPE: ClassVar[str]


# --- members -------------------------------------------------------------------------------------

class JoinConsent(Struct, frozen=True, kw_only=True):
    marketing: bool
    payment_link: bool


class MemberJoined(Event, frozen=True, kw_only=True):
    """A member joined here: attribution, and the phone hashed and masked (raw only when configured)."""

    TYPE = "member.joined"
    member_id: str
    store_id: str
    joined_at: str
    source: str
    lane_id: str | None
    cashier_id: str | None
    checkout_id: str | None
    standee_id: str | None
    receipt_sale_id: str | None
    referrer_id: str | None
    tier_id: str
    # None since personal fields are sealed in `personal` (phone hash, masked phone, birthday, and the
    # raw phone with send_raw_phone_upstream); batches recorded before carry them here in clear
    phone_hash: str | None
    phone_masked: str | None
    birthday: str | None
    consent: JoinConsent
    phone_e164: str | UnsetType = UNSET
    personal: str | UnsetType = UNSET  # sealed with the member's data key: erasure makes it unreadable


class MemberUpdated(Event, frozen=True, kw_only=True):
    """A member changed: `reason` says how, and which of the optional fields are present.

    tier_upgrade: tier_id, sale_id. consent_withdrawn: purpose, payers_unlinked, at.
    """

    TYPE = "member.updated"
    member_id: str
    tier_id: str | UnsetType = UNSET
    reason: str
    sale_id: str | UnsetType = UNSET
    purpose: str | UnsetType = UNSET
    payers_unlinked: int | UnsetType = UNSET
    at: str | UnsetType = UNSET


class MemberErased(Event, frozen=True, kw_only=True):
    """A tombstone: erase these member ids (never anyone found by phone); `origin` says who asked.

    `member_ids` are every id erased here (the member and the ids merged into it); `keys_destroyed`
    the data keys this store destroyed, so HQ destroys its copies. `phone_hash` is always None now.
    """

    TYPE = "member.erased"
    member_id: str
    store_id: str
    phone_hash: str | None
    erased_at: str
    origin: str
    member_ids: list[str] | UnsetType = UNSET
    keys_destroyed: list[str] | UnsetType = UNSET


class PaymentIdentityLinked(Event, frozen=True, kw_only=True):
    TYPE = "payment_identity.linked"
    member_id: str
    payer_hash: str | None  # None: sealed in `personal` with the payer's data key
    provider: str | None
    personal: str | UnsetType = UNSET


# --- sales ---------------------------------------------------------------------------------------

class SaleLine(Struct, frozen=True, kw_only=True):
    sku: str
    qty: int
    unit_price_fen: int
    discount_fen: int
    total_fen: int


class AppliedRule(Struct, frozen=True, kw_only=True):
    rule_id: str
    amount_fen: int


class SaleException(Struct, frozen=True, kw_only=True):
    """Why the recorded amount is not the edge's own price (or the sale was rung up offline)."""

    exception_id: str
    kind: str
    edge_total_fen: int
    charged_fen: int
    difference_fen: int
    reason: str


class SaleCompleted(Event, frozen=True, kw_only=True):
    """A sale as recorded. `charged_fen` is what the till took (absent on events from before it was
    sent: then it is `total_fen`); `exception` explains a difference, `offline` a replayed sale."""

    TYPE = "sale.completed"
    sale_id: str
    store_id: str
    business_day: str
    created_at: str
    lane_id: str
    cashier_id: str
    checkout_id: str | None
    member_id: str | None
    recognised_by_payer: bool
    lines: list[SaleLine]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    applied: list[AppliedRule]
    points_earned: int
    payment_method: str
    payment_provider: str | None
    payer_hash: str | None  # None: sealed in `personal` with the payer's data key
    nonmember_at_start: bool
    joined_source: str | None
    personal: str | UnsetType = UNSET
    charged_fen: int | UnsetType = UNSET
    exception: SaleException | UnsetType = UNSET
    offline: bool | UnsetType = UNSET  # present (true) only for a sale rung up offline
    rung_up_at: str | UnsetType = UNSET


class SaleVoided(Event, frozen=True, kw_only=True):
    TYPE = "sale.voided"
    sale_id: str
    store_id: str
    business_day: str
    voided_at: str
    reason: str
    member_id: str | None
    total_fen: int
    points_reversed: int
    charged_fen: int | UnsetType = UNSET  # what the till had taken, given back


class SaleAttributed(Event, frozen=True, kw_only=True):
    """A non-member's sale became a new member's through the receipt QR (counts on the sale's day)."""

    TYPE = "sale.attributed"
    sale_id: str
    store_id: str
    business_day: str
    member_id: str
    joined_source: str
    points_earned: int


# --- campaigns and coupons -----------------------------------------------------------------------

class CampaignSaved(Event, frozen=True, kw_only=True):
    TYPE = "campaign.saved"
    campaign_id: str
    origin: str
    # the campaign engine's JSON (edge.domain.campaigns.Campaign), open here: that Struct refuses
    # unknown fields, and an HQ on older code must still read a campaign with newer ones
    campaign: dict[str, Any]


class CampaignUsed(Event, frozen=True, kw_only=True):
    """One offer a sale used: what HQ reconciles a chain-wide cap against the leases it gave out."""

    TYPE = "campaign.used"
    campaign_id: str
    sale_id: str
    offer_id: str
    code: str | None
    units: int
    amount_fen: int
    business_day: str


class CampaignUseVoided(Event, frozen=True, kw_only=True):
    TYPE = "campaign.use_voided"
    campaign_id: str
    sale_id: str
    code: str | None
    units: int
    amount_fen: int


class CouponIssued(Event, frozen=True, kw_only=True):
    TYPE = "coupon.issued"
    code: str
    campaign_id: str
    member_id: str | None
    source: str
    expires_at: str


class CouponRedeemed(Event, frozen=True, kw_only=True):
    TYPE = "coupon.redeemed"
    code: str
    campaign_id: str
    member_id: str | None
    sale_id: str
    amount_fen: int


class CouponRestored(Event, frozen=True, kw_only=True):
    TYPE = "coupon.restored"
    code: str
    campaign_id: str
    member_id: str | None
    sale_id: str


class CouponExpired(Event, frozen=True, kw_only=True):
    TYPE = "coupon.expired"
    code: str
    campaign_id: str
    member_id: str | None
    expired_at: str


class ReferralRewarded(Event, frozen=True, kw_only=True):
    TYPE = "referral.rewarded"
    referee_id: str
    referrer_id: str
    sale_id: str
    campaign_id: str
    referrer_rewarded: bool


class ReferralRevoked(Event, frozen=True, kw_only=True):
    TYPE = "referral.revoked"
    referee_id: str
    referrer_id: str
    sale_id: str
    coupons_revoked: list[str]


# --- points --------------------------------------------------------------------------------------

class PointsEntry(Event, frozen=True, kw_only=True):
    """One line of the points ledger: accrue, redeem, expire, adjust, reverse."""

    TYPE = "points.entry"
    entry_id: str
    member_id: str
    kind: str
    points: int
    sale_id: str | None


class PointsHeld(Event, frozen=True, kw_only=True):
    TYPE = "points.held"
    member_id: str
    points: int
    sale_id: str
    release_at: str  # datetime.isoformat(), not the outbox's own time format


class PointsPolicyChanged(Event, frozen=True, kw_only=True):
    """The new policy's fields (edge.domain.points.PointsPolicy), in its order."""

    TYPE = "points.policy_changed"
    fen_per_point: int
    min_redeem: int
    pending_days: int
    expire_days: int


# --- the join rate -------------------------------------------------------------------------------

class JoinRateDaily(Event, frozen=True, kw_only=True):
    """A business day's join-rate counts; re-sent with a higher revision when late joins change them."""

    TYPE = "join_rate.daily"
    store_id: str
    revision: int
    business_day: str
    transactions: int
    nonmember_transactions: int
    joins: int
    joins_by_source: dict[str, int]
    join_rate_bps: int


EVENTS: tuple[type[Event], ...] = (
    MemberJoined, MemberUpdated, MemberErased, PaymentIdentityLinked,
    SaleCompleted, SaleVoided, SaleAttributed,
    CampaignSaved, CampaignUsed, CampaignUseVoided,
    CouponIssued, CouponRedeemed, CouponRestored, CouponExpired,
    ReferralRewarded, ReferralRevoked,
    PointsEntry, PointsHeld, PointsPolicyChanged,
    JoinRateDaily,
)
BY_TYPE: dict[str, type[Event]] = {e.TYPE: e for e in EVENTS}
assert len(BY_TYPE) == len(EVENTS), "two events share a type"

AnyEvent = Union[EVENTS]  # noqa: UP007 - a Union built from the tuple, for msgspec and type checkers


def _line_of(event: type[Event]) -> type[Struct]:
    # A batch line's `type` is the tag that picks the payload's Struct.
    return msgspec.defstruct(f"{event.__name__}Line", [("seq", int), ("event_id", str), ("occurred_at", str),
                                                        ("payload", event)],
                             tag_field="type", tag=event.TYPE, frozen=True, kw_only=True, module=__name__)


LINES: dict[str, type[Struct]] = {t: _line_of(e) for t, e in BY_TYPE.items()}
EventLine = Union[tuple(LINES.values())]  # noqa: UP007 - one batch line, tagged by its `type`

_encode = msgspec.json.Encoder().encode
_decode_line = msgspec.json.Decoder(EventLine).decode


def encode_payload(event: Event) -> bytes:
    """The payload bytes stored in the outbox (and embedded as is in a batch line)."""
    return _encode(event)


def decode_payload(type_: str, payload: bytes) -> Event:
    """A stored payload as its event; KeyError for a type this code does not know."""
    return msgspec.json.decode(payload, type=BY_TYPE[type_])


def decode_line(line: bytes) -> Any:
    """One batch line (`seq`, `event_id`, `type`, `occurred_at`, `payload`) as its `EventLine` Struct."""
    return _decode_line(line)
