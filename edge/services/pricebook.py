"""The price book a lane keeps for selling offline: what the till needs to price a cart and know a
member while the edge cannot answer.

It carries the catalog (prices, member-discount flags), the tiers, the store's member-day rules with
the conditions the edge prices them by, and the members seen here recently, keyed by a phone hash.

Phone hashes: HMAC-SHA256 with a key made for this purpose from the store key (never the chain key,
which also hashes payer ids and signs member codes across the chain). The lane must hash what the
cashier types, so the key travels with the book: a stolen till can therefore test phone numbers
against its book. Chinese mobile numbers are few enough (~2e9) that a thief with the key recovers
the listed members' phones in minutes, and the masked phone makes it quicker still. What limits the
harm is what is listed: only members seen in the last BOOK_WINDOW_DAYS (at most BOOK_MEMBERS_MAX),
with member id, tier and masked phone; no names, birthdays, points or payer identities; and the key
opens this store's book only (docs/offline-till.md says this in full).

A refresh is cheap: the book's version is the hash of its body, remembered beside a fingerprint of
what it is built from (reference data version, business day, outbox position), so a till that sends
its version back gets 304 without the book being built again.
"""

import hashlib
import hmac
import threading
import weakref
from datetime import date, datetime, time, timedelta

import msgspec
from msgspec import Struct

from ..domain.campaigns import Automatic, Campaign, PercentOff, PointsMultiplier, expires_at
from ..domain.clock import iso
from ..domain.identity import mask_phone
from ..domain.join_rate import business_day
from ..store import erasure as erasure_repo
from ..store import members as member_repo
from ..store.outbox import last_seq
from .runtime import StoreRuntime

BOOK_WINDOW_DAYS = 30  # a member seen (joined, bought, changed) in this window is listed
BOOK_MEMBERS_MAX = 5_000  # the most recently seen first; a busy store's regulars fit many times over
PHONE_KEY_ID = "pb1"


class BookSku(Struct, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    category: str
    price_fen: int
    member_discount: bool  # False: no tier discount or member-day boost (gift cards)
    track_stock: bool
    perishable: bool


class BookTier(Struct, kw_only=True):
    tier_id: str
    name_zh: str
    name_en: str
    rank: int
    discount_bps: int
    points_multiplier_pct: int


class BookMemberDay(Struct, kw_only=True):
    """A member-day boost and the conditions the edge prices it by (read in store-local time)."""

    campaign_id: str
    name_zh: str
    name_en: str
    boost_bps: int
    weekdays: list[int] | None  # ISO weekdays of the business day; None: every day
    tiers: list[str] | None  # None: every tier
    skus: list[str] | None  # scope; both None: every line that takes member discounts
    categories: list[str] | None
    min_spend_fen: int  # on the list-price subtotal of the lines in scope
    date_from: str | None  # local dates, inclusive
    date_to: str | None
    time_from: str | None  # local HH:MM window [from, to); to before from crosses midnight
    time_to: str | None
    exclusive_group: str | None
    expires_at: str | None  # the end of date_to's business day, UTC: breaks ties between exclusive boosts
    capped: bool  # the edge counts uses against limits the till cannot see


class BookMember(Struct, kw_only=True):
    phone_hash: str  # hex HMAC-SHA256(phone_key, "phone|" + E.164)
    member_id: str
    tier_id: str
    phone_masked: str
    seen_at: str


class PhoneKey(Struct, kw_only=True):
    key_id: str
    algorithm: str  # hmac-sha256 over "phone|" + the E.164 phone
    key: str  # hex


class PriceBookOut(Struct, kw_only=True):
    version: str  # also the ETag: send it back as If-None-Match
    store_id: str
    timezone: str
    utc_offset_minutes: int  # the zone's offset now: a till without a zone database reads time by it
    business_day_start: str
    region: str  # for phone numbers typed without a country code
    consent_policy_version: str
    generated_at: str
    business_day: str
    catalog: list[BookSku]
    tiers: list[BookTier]
    member_days: list[BookMemberDay]
    member_days_today: list[str]  # the rules whose weekday and dates hold on this business day
    other_offers: list[str]  # automatic offers the offline engine does not price (flash, order offers)
    phone_key: PhoneKey
    members_window_days: int
    members: list[BookMember]


def phone_key(store: StoreRuntime) -> bytes:
    """This store's key for the book's phone hashes: derived from the store key, so it is the same
    after a restart and shared by the store's lanes, and never the chain key."""
    return hmac.new(store.store_key, b"pricebook-phone-key|" + PHONE_KEY_ID.encode(), hashlib.sha256).digest()


def book_phone_hash(key: bytes, phone_e164: str) -> str:
    return hmac.new(key, b"phone|" + phone_e164.encode(), hashlib.sha256).hexdigest()


def _member_day(c: Campaign, tz, day_start: time) -> BookMemberDay:  # noqa: ANN001 - ZoneInfo
    assert isinstance(c.benefit, PercentOff)
    cond, scope = c.conditions, c.scope
    ends = expires_at(c, tz, day_start)
    return BookMemberDay(
        campaign_id=c.campaign_id, name_zh=c.name_zh, name_en=c.name_en, boost_bps=c.benefit.bps,
        weekdays=cond.weekdays, tiers=cond.tiers, skus=scope.skus, categories=scope.categories,
        min_spend_fen=cond.min_spend_fen, date_from=cond.date_from, date_to=cond.date_to,
        time_from=cond.time_from, time_to=cond.time_to, exclusive_group=c.stacking.exclusive_group,
        expires_at=iso(ends) if ends is not None else None,
        capped=c.limits.total is not None or c.limits.per_day is not None or c.limits.per_member is not None
        or c.lease is not None)


def _on_day(rule: BookMemberDay, day: str) -> bool:
    if rule.weekdays is not None and date.fromisoformat(day).isoweekday() not in rule.weekdays:
        return False
    return (rule.date_from is None or day >= rule.date_from) and (rule.date_to is None or day <= rule.date_to)


def build_book(store: StoreRuntime, now: datetime | None = None) -> PriceBookOut:
    """The price book as of now, with an empty version (`price_book` fills it in)."""
    now = now if now is not None else store.clock()
    cfg, ref = store.config, store.reference()
    tz = cfg.tz
    day = business_day(now, tz, cfg.day_start).isoformat()
    plan = store.offer_plan(ref)
    member_days, others = [], []
    for o in plan.automatic:
        c = o.campaign
        if c.scope.store_ids is not None and cfg.store_id not in c.scope.store_ids:
            continue
        if c.kind == "member_day" and isinstance(c.benefit, PercentOff) and isinstance(c.issuance, Automatic):
            member_days.append(_member_day(c, tz, cfg.day_start))
        elif not isinstance(c.benefit, PointsMultiplier):  # points do not change what the till charges
            others.append(c.campaign_id)
    key = phone_key(store)
    since = iso(now - timedelta(days=BOOK_WINDOW_DAYS))
    rows = member_repo.seen_since(store.reader.conn, since, BOOK_MEMBERS_MAX)
    members = [BookMember(phone_hash=_hashed(key, r[1]), member_id=r[0], tier_id=r[2],
                          phone_masked=mask_phone(r[1]), seen_at=r[3]) for r in rows]
    return PriceBookOut(
        version="", store_id=cfg.store_id, timezone=cfg.timezone,
        utc_offset_minutes=int(now.astimezone(tz).utcoffset().total_seconds() // 60),  # type: ignore[union-attr]
        business_day_start=cfg.business_day_start,
        region=cfg.region, consent_policy_version=cfg.consent_policy_version, generated_at=iso(now),
        business_day=day,
        catalog=[BookSku(sku=s.sku, name_zh=s.name_zh, name_en=s.name_en, category=s.category,
                         price_fen=s.price_fen, member_discount=s.member_discount, track_stock=s.track_stock,
                         perishable=s.perishable) for s in sorted(ref.catalog.values(), key=lambda s: s.sku)],
        tiers=[BookTier(tier_id=t.tier_id, name_zh=t.name_zh, name_en=t.name_en, rank=t.rank,
                        discount_bps=t.discount_bps, points_multiplier_pct=t.points_multiplier_pct)
               for t in sorted(ref.tiers.values(), key=lambda t: t.rank)],
        member_days=sorted(member_days, key=lambda r: r.campaign_id),
        member_days_today=sorted(r.campaign_id for r in member_days if _on_day(r, day)),
        other_offers=sorted(others),
        phone_key=PhoneKey(key_id=PHONE_KEY_ID, algorithm="hmac-sha256", key=key.hex()),
        members_window_days=BOOK_WINDOW_DAYS, members=members)


_hashes: dict[tuple[bytes, str], str] = {}  # the same phones come back on every rebuild


def _hashed(key: bytes, phone_e164: str) -> str:
    found = _hashes.get((key, phone_e164))
    if found is None:
        if len(_hashes) > 4 * BOOK_MEMBERS_MAX:
            _hashes.clear()
        found = _hashes[(key, phone_e164)] = book_phone_hash(key, phone_e164)
    return found


class _Cached(Struct, frozen=True):
    fingerprint: tuple
    version: str
    body: bytes


_cache: "weakref.WeakKeyDictionary[StoreRuntime, _Cached]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _fingerprint(store: StoreRuntime, now: datetime) -> tuple:
    """What the book depends on, read cheaply: a member change appends to the outbox, except an erasure
    HQ's tombstone brought (not echoed back up), which the tombstones' own table shows."""
    conn = store.reader.conn
    seq, erasures = last_seq(conn), erasure_repo.last_tombstone(conn)
    cfg = store.config
    day = business_day(now, cfg.tz, cfg.day_start).isoformat()
    return (store.reference().version, day, seq, erasures, iso(now - timedelta(days=BOOK_WINDOW_DAYS))[:13])


def price_book(store: StoreRuntime) -> tuple[str, bytes]:
    """(version, encoded book): rebuilt only when what it is built from moved."""
    now = store.clock()
    fp = _fingerprint(store, now)
    hit = _cache.get(store)
    if hit is not None and hit.fingerprint == fp:
        return hit.version, hit.body
    book = build_book(store, now)
    # the version covers the content, not the moment it was built: a rebuild that changed nothing
    # still answers 304 to a till that has it
    content = msgspec.json.encode(msgspec.structs.replace(book, generated_at=""))
    version = hashlib.sha256(content).hexdigest()[:20]
    body = msgspec.json.encode(msgspec.structs.replace(book, version=version))
    with _lock:
        _cache[store] = _Cached(fp, version, body)
    return version, body
