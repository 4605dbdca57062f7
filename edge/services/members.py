"""Enrol and find members. Enrolling a phone that is already a member returns that member."""

import sqlite3

from ..domain.errors import FieldError, InvalidInput, NotFound
from ..domain.identity import mask_phone, payer_hash, phone_hash
from ..domain.clock import iso
from ..domain.ids import uuid7
from ..domain.loyalty import entry_tier
from ..domain.models import Member, Tier
from ..phones import normalise_phone
from ..schemas import EnrolIn, MemberRef, MemberSummary, TierOut
from ..store import members as repo
from ..store.outbox import append_event
from .runtime import Store
from sync import directory  # issue 5: cross-store recognition

CHANNELS = {"cashier": "till", "import": "import"}  # every other source joined on the join page


def summary(member: Member, tiers: dict[str, Tier]) -> MemberSummary:
    tier = tiers[member.tier_id]
    return MemberSummary(
        member_id=member.member_id, phone_masked=mask_phone(member.phone_e164 or ""), name=member.name,
        tier=TierOut(tier.tier_id, tier.name_zh, tier.name_en, tier.discount_bps, tier.points_multiplier_pct),
        points_balance=member.points_balance, lifetime_spend_fen=member.lifetime_spend_fen,
        joined_at=member.joined_at, join_source=member.join_source,
        marketing_consent=member.marketing_consent, payment_link_consent=member.payment_link_consent)


def joined_event(store: Store, member: Member, phone: str) -> dict:
    """What HQ learns of a join: attribution, and the phone hashed and masked unless configured raw."""
    event = {
        "member_id": member.member_id, "store_id": store.config.store_id, "joined_at": member.joined_at,
        "source": member.join_source, "lane_id": member.join_lane_id, "cashier_id": member.join_cashier_id,
        "checkout_id": member.join_checkout_id, "standee_id": member.join_standee_id,
        "receipt_sale_id": member.join_receipt_sale_id, "referrer_id": member.referrer_id,
        "tier_id": member.tier_id, "phone_hash": phone_hash(store.chain_key, phone),
        "phone_masked": mask_phone(phone), "birthday": member.birthday,
        "consent": {"marketing": member.marketing_consent, "payment_link": member.payment_link_consent},
    }
    if store.config.send_raw_phone_upstream:
        event["phone_e164"] = phone
    return event


async def enrol(store: Store, data: EnrolIn) -> tuple[Member, bool]:
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
    ref = store.reference()
    tier = entry_tier(ref.tiers)

    def command(conn: sqlite3.Connection) -> tuple[Member, bool]:
        now = store.clock()
        member = Member(
            member_id=uuid7(), phone_e164=phone, name=data.name, birthday=data.birthday, tier_id=tier.tier_id,
            lifetime_spend_fen=0, points_balance=0, joined_at=iso(now), join_store_id=store.config.store_id,
            join_source=data.source, join_lane_id=data.lane_id, join_cashier_id=data.cashier_id,
            join_checkout_id=data.checkout_id, join_standee_id=data.standee_id,
            marketing_consent=data.consent.marketing, payment_link_consent=data.consent.payment_link)
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
        append_event(conn, "member.joined", now, joined_event(store, member, phone))
        return member, True

    return await store.writer.run(command)


def parse_payer(payer: str, scope: str = "") -> tuple[str, str, str]:
    """'provider:payer id' (as the lookup takes it) to (provider, scope, payer id)."""
    provider, sep, payer_id = payer.partition(":")
    if not sep or not provider or not payer_id:
        raise InvalidInput.on("payer", "expected 'provider:payer id', e.g. wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    return provider, scope, payer_id


def find(store: Store, *, phone: str | None = None, member_id: str | None = None, payer: str | None = None,
         scope: str = "", code: str | None = None, field_prefix: str = "") -> Member:
    """Find a live member by exactly one identifier; NotFound names the field that found nothing."""
    given = [(k, v) for k, v in (("phone", phone), ("member_id", member_id), ("payer", payer), ("code", code))
             if v is not None]
    if len(given) != 1:
        raise InvalidInput.on(field_prefix + "phone", "give exactly one of phone, member_id, payer, code")
    field, value = given[0]
    conn = store.reader.conn
    if field == "phone":
        e164 = normalise_phone(value, store.config.region, field_prefix + "phone")
        # a member who joined at another store is known here by phone hash once HQ's bundle arrived
        member = repo.by_phone(conn, e164) or directory.by_phone_hash(conn, phone_hash(store.chain_key, e164))
    elif field == "member_id":
        member = repo.by_id(conn, value) or directory.by_alias(conn, value)
    elif field == "payer":
        provider, scope, payer_id = parse_payer(value, scope)
        member = repo.by_payer(conn, payer_hash(store.chain_key, provider, scope, payer_id))
    else:
        member = find_by_code(store, value, field_prefix + "code")
    member = directory.follow_alias(conn, member)  # HQ merged this id into the person's earliest join
    if member is None or member.erased_at is not None:
        raise NotFound(f"no member with this {field}", [FieldError(field_prefix + field, "no member found")])
    return member


def find_by_code(store: Store, code: str, field: str) -> Member | None:
    """Dynamic member codes come with scan-to-join; until then a code identifies nobody."""
    raise InvalidInput.on(field, "member codes are not enabled on this store yet")


def find_ref(store: Store, ref: MemberRef) -> Member:
    return find(store, phone=ref.phone, member_id=ref.member_id, code=ref.code, field_prefix="member.")

