"""Enrol and find members. Enrolling a phone that is already a member returns that member."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso
from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.events import JoinConsent, MemberJoined
from ..domain.identity import mask_phone, payer_hash, phone_hash
from ..domain.ids import uuid7
from ..domain.loyalty import entry_tier
from ..domain.member_code import CodeRefused, verify_code
from ..domain.models import Member, Tier
from ..phones import normalise_phone
from ..schemas import EnrolIn, MemberRef, MemberSummary, TierOut
from ..store import directory
from ..store import join as join_repo
from ..store import members as repo
from ..store.outbox import append_event
from . import personal_data, referrals
from .runtime import StoreRuntime

CODE_REASONS = {"malformed": "not a member code", "forged": "not a valid member code",
                "expired": "the member code expired: ask for a fresh one",
                "replayed": "this member code was already used at this store"}
CHANNELS = {"cashier": "till", "import": "import"}  # every other source joined on the join page


def summary(member: Member, tiers: dict[str, Tier]) -> MemberSummary:
    tier = tiers[member.tier_id]
    return MemberSummary(
        member_id=member.member_id, phone_masked=mask_phone(member.phone_e164 or ""), name=member.name,
        tier=TierOut(tier.tier_id, tier.name_zh, tier.name_en, tier.discount_bps, tier.points_multiplier_pct),
        points_balance=member.points_balance, lifetime_spend_fen=member.lifetime_spend_fen,
        joined_at=member.joined_at, join_source=member.join_source,
        marketing_consent=member.marketing_consent, payment_link_consent=member.payment_link_consent)


def joined_event(conn: sqlite3.Connection, store: StoreRuntime, member: Member, phone: str, now: datetime) -> MemberJoined:
    """What HQ learns of a join: attribution in clear; the phone hashed and masked (raw only when
    configured) and the birthday sealed with the member's data key, so an erasure shreds them."""
    personal = {"phone_hash": phone_hash(store.chain_key, phone), "phone_masked": mask_phone(phone),
                "birthday": member.birthday}
    if store.config.send_raw_phone_upstream:
        personal["phone_e164"] = phone
    return MemberJoined(
        member_id=member.member_id, store_id=store.config.store_id, joined_at=member.joined_at,
        source=member.join_source, lane_id=member.join_lane_id, cashier_id=member.join_cashier_id,
        checkout_id=member.join_checkout_id, standee_id=member.join_standee_id,
        receipt_sale_id=member.join_receipt_sale_id, referrer_id=member.referrer_id,
        tier_id=member.tier_id, phone_hash=None, phone_masked=None, birthday=None,
        consent=JoinConsent(marketing=member.marketing_consent, payment_link=member.payment_link_consent),
        personal=personal_data.for_member(conn, member.member_id, now, personal))


async def enrol(store: StoreRuntime, data: EnrolIn) -> tuple[Member, bool]:
    """Return (member, created). Consent to membership is required; the phone must be a mobile."""
    phone = normalise_phone(data.phone, store.config.region)
    if not data.consent.granted:
        raise InvalidInput.on("consent.granted", "membership needs the customer's consent")
    if data.source == "cashier" and not (data.lane_id and data.cashier_id):
        raise InvalidInput.on("lane_id", "a cashier enrolment names its lane_id and cashier_id")
    existing = repo.by_phone(store.reader.conn, phone) or directory.follow_alias(
        store.reader.conn, directory.by_phone_hash(store.reader.conn, phone_hash(store.chain_key, phone)))
    if existing is not None:  # a member here, or one from another store known through HQ's directory
        return existing, False
    referrer_id = referrals.resolve_code(store.reader.conn, data.referral_code) if data.referral_code else None
    return await store.writer.run(lambda conn: enrol_in(conn, store, data, phone, referrer_id=referrer_id))


def enrol_in(conn: sqlite3.Connection, store: StoreRuntime, data: EnrolIn, phone: str, *, referrer_id: str | None = None,
             receipt_sale_id: str | None = None) -> tuple[Member, bool]:
    """Enrol inside the caller's writer command (the join page adds its attribution to the same one)."""
    now = store.clock()
    member = Member(
        member_id=uuid7(), phone_e164=phone, name=data.name, birthday=data.birthday,
        tier_id=entry_tier(store.reference().tiers).tier_id,
        lifetime_spend_fen=0, points_balance=0, joined_at=iso(now), join_store_id=store.config.store_id,
        join_source=data.source, join_lane_id=data.lane_id, join_cashier_id=data.cashier_id,
        join_checkout_id=data.checkout_id, join_standee_id=data.standee_id, join_receipt_sale_id=receipt_sale_id,
        referrer_id=referrer_id, marketing_consent=data.consent.marketing,
        payment_link_consent=data.consent.payment_link)
    try:
        repo.insert_member(conn, member, phone_hash(store.chain_key, phone))
    except sqlite3.IntegrityError:  # joined on another lane a moment ago: that member it is
        found = repo.by_phone(conn, phone)
        if found is None:
            raise
        return found, False
    channel = CHANNELS.get(data.source, "join_page")
    for purpose, granted in (("membership", True), ("marketing", data.consent.marketing),
                             ("payment_link", data.consent.payment_link)):
        repo.record_consent(conn, member.member_id, purpose, granted, data.consent.policy_version, channel, now)
    append_event(conn, joined_event(conn, store, member, phone, now), now)
    return member, True


def parse_payer(payer: str, scope: str = "") -> tuple[str, str, str]:
    """'provider:payer id' (as the lookup takes it) to (provider, scope, payer id)."""
    provider, sep, payer_id = payer.partition(":")
    if not sep or not provider or not payer_id:
        raise InvalidInput.on("payer", "expected 'provider:payer id', e.g. wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    return provider, scope, payer_id


def find(store: StoreRuntime, *, phone: str | None = None, member_id: str | None = None, payer: str | None = None,
         scope: str = "", code: str | None = None, field_prefix: str = "") -> Member:
    """Find a live member by exactly one identifier; NotFound names the field that found nothing."""
    given = [(k, v) for k, v in (("phone", phone), ("member_id", member_id), ("payer", payer), ("code", code))
             if v is not None]
    if len(given) != 1:
        raise InvalidInput.on(field_prefix + "phone", "give exactly one of phone, member_id, payer, code")
    field, value = given[0]
    conn = store.reader.conn
    merged = True  # unless the lookup itself said no alias points this member elsewhere
    if field == "phone":
        e164 = normalise_phone(value, store.config.region, field_prefix + "phone")
        member, merged = repo.find_flagged(conn, "phone_e164", e164)
        if member is None:  # a member who joined at another store, known here by phone hash from HQ
            member, merged = directory.by_phone_hash(conn, phone_hash(store.chain_key, e164)), True
    elif field == "member_id":
        member, merged = repo.find_flagged(conn, "member_id", value)
        if member is None:
            member, merged = directory.by_alias(conn, value), True
    elif field == "payer":
        provider, scope, payer_id = parse_payer(value, scope)
        member = repo.by_payer(conn, payer_hash(store.chain_key, provider, scope, payer_id))
    else:
        member = find_by_code(store, value, field_prefix + "code")
    if merged:
        member = directory.follow_alias(conn, member)  # HQ merged this id into the person's earliest join
    if member is None or member.erased_at is not None:
        raise NotFound(f"no member with this {field}", [FieldError(field_prefix + field, "no member found")])
    return member


def _verified_code(store: StoreRuntime, code: str, field: str) -> tuple[str, int, datetime]:
    """Check a dynamic member code offline with the chain key: (member id, time step, now)."""
    now = store.clock()
    try:
        found = verify_code(store.chain_key, code, now)
    except CodeRefused as refused:
        raise InvalidInput.on(field, CODE_REASONS[refused.reason]) from None
    return found.member_id, found.step, now


def find_by_code(store: StoreRuntime, code: str, field: str) -> Member | None:
    """The member a dynamic member code names, accepted once here. Blocks on a commit: call it only
    off the event loop (a thread); async callers use `find_async`."""
    member_id, step, now = _verified_code(store, code, field)
    if not store.writer.call(lambda conn: join_repo.accept_member_code(conn, member_id, step, now)):
        raise InvalidInput.on(field, CODE_REASONS["replayed"])
    return repo.by_id(store.reader.conn, member_id)


async def find_async(store: StoreRuntime, *, phone: str | None = None, member_id: str | None = None,
                     payer: str | None = None, scope: str = "", code: str | None = None,
                     field_prefix: str = "") -> Member:
    """`find` for the event loop: a member code's one-time acceptance awaits the writer instead of
    blocking the loop for a commit."""
    if code is None or any(v is not None for v in (phone, member_id, payer)):
        return find(store, phone=phone, member_id=member_id, payer=payer, scope=scope, code=code,
                    field_prefix=field_prefix)
    field = field_prefix + "code"
    found_id, step, now = _verified_code(store, code, field)
    if not await store.writer.run(lambda conn: join_repo.accept_member_code(conn, found_id, step, now)):
        raise InvalidInput.on(field, CODE_REASONS["replayed"])
    member = repo.by_id(store.reader.conn, found_id)
    if member is None or member.erased_at is not None:
        raise NotFound("no member with this code", [FieldError(field, "no member found")])
    return member


def find_ref(store: StoreRuntime, ref: MemberRef) -> Member:
    return find(store, phone=ref.phone, member_id=ref.member_id, code=ref.code, field_prefix="member.")


async def find_ref_async(store: StoreRuntime, ref: MemberRef) -> Member:
    return await find_async(store, phone=ref.phone, member_id=ref.member_id, code=ref.code, field_prefix="member.")

