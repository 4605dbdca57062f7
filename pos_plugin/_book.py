"""The price book on the till: the edge's catalog, tiers, member-day rules and recent members, kept in
a file so a till restarted while the edge is down still prices, and refreshed by version (ETag).

Members are found by phone hash only: the book holds HMAC-SHA256(phone key, "phone|" + E.164), never a
phone number. The key comes with the book (the till must hash what the cashier types), so a stolen
till can test numbers against its own book: see docs/offline-till.md for what that does and does not
reveal.
"""

import hashlib
import hmac
import os
import re
import threading
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

import msgspec

from ._types import Tier


class BookSku(msgspec.Struct, kw_only=True):
    sku: str
    name_zh: str
    name_en: str
    category: str
    price_fen: int
    member_discount: bool = True
    track_stock: bool = True
    perishable: bool = False


class BookTier(msgspec.Struct, kw_only=True):
    tier_id: str
    name_zh: str
    name_en: str
    rank: int = 0
    discount_bps: int = 0
    points_multiplier_pct: int = 100

    def as_tier(self) -> Tier:
        return Tier(self.tier_id, self.name_zh, self.name_en, self.discount_bps, self.points_multiplier_pct)


class BookMemberDay(msgspec.Struct, kw_only=True):
    campaign_id: str
    name_zh: str
    name_en: str
    boost_bps: int
    weekdays: list[int] | None = None
    tiers: list[str] | None = None
    skus: list[str] | None = None
    categories: list[str] | None = None
    min_spend_fen: int = 0
    date_from: str | None = None
    date_to: str | None = None
    time_from: str | None = None
    time_to: str | None = None
    exclusive_group: str | None = None
    expires_at: str | None = None
    capped: bool = False


class BookMember(msgspec.Struct, kw_only=True):
    phone_hash: str
    member_id: str
    tier_id: str
    phone_masked: str
    seen_at: str = ""


class PhoneKey(msgspec.Struct, kw_only=True):
    key_id: str
    algorithm: str
    key: str


class PriceBook(msgspec.Struct, kw_only=True, dict=True):  # dict: room for the lookup indexes
    version: str
    store_id: str
    timezone: str
    business_day_start: str
    generated_at: str
    business_day: str
    catalog: list[BookSku]
    tiers: list[BookTier]
    phone_key: PhoneKey
    utc_offset_minutes: int = 480
    region: str = "CN"
    consent_policy_version: str = ""
    member_days: list[BookMemberDay] = []
    member_days_today: list[str] = []
    other_offers: list[str] = []
    members_window_days: int = 0
    members: list[BookMember] = []

    def __post_init__(self) -> None:
        self._skus = {s.sku: s for s in self.catalog}
        self._tiers = {t.tier_id: t for t in self.tiers}
        self._members = {m.phone_hash: m for m in self.members}

    def sku(self, sku: str) -> BookSku | None:
        return self._skus.get(sku)

    def tier(self, tier_id: str) -> BookTier | None:
        return self._tiers.get(tier_id)

    def zone(self) -> tzinfo:
        """The store's zone; a till without a zone database (Windows without tzdata) uses the offset."""
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(self.timezone)
        except Exception:  # ZoneInfoNotFoundError, or no zone data at all
            return timezone(timedelta(minutes=self.utc_offset_minutes))

    def phone_hash(self, phone_e164: str) -> str:
        if self.phone_key.algorithm != "hmac-sha256":
            raise ValueError(f"unknown phone hash {self.phone_key.algorithm!r}")
        return hmac.new(bytes.fromhex(self.phone_key.key), b"phone|" + phone_e164.encode(), hashlib.sha256).hexdigest()

    def member_by_phone(self, phone: str) -> "OfflineMember | None":
        """The member at this phone if the edge listed them (seen recently), with tier and masked phone."""
        e164 = normalise_phone(phone, self.region)
        if e164 is None:
            return None
        found = self._members.get(self.phone_hash(e164))
        if found is None:
            return None
        tier = self.tier(found.tier_id)
        if tier is None:
            return None
        return OfflineMember(member_id=found.member_id, phone_masked=found.phone_masked, tier=tier.as_tier())

    def member_by_id(self, member_id: str) -> "OfflineMember | None":
        for m in self.members:
            if m.member_id == member_id:
                tier = self.tier(m.tier_id)
                return None if tier is None else OfflineMember(member_id=m.member_id, phone_masked=m.phone_masked,
                                                               tier=tier.as_tier())
        return None


class OfflineMember(msgspec.Struct, kw_only=True):
    """A member as the till knows them offline: who, and the tier that prices them."""

    member_id: str
    phone_masked: str
    tier: Tier


_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def normalise_phone(raw: str, region: str = "CN") -> str | None:
    """E.164 for a mobile number typed in a common way (spaces, dashes, +86, 0086, full-width), else None.

    The edge checks numbers fully (libphonenumber); the till needs only enough to hash what was typed
    the way the edge did, and to refuse an obvious typo before it journals an enrolment.
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if region == "CN":
        national = text[3:] if text.startswith("+86") else text[2:] if text.startswith("86") and len(text) == 13 \
            else None if text.startswith("+") else text
        if national is None:
            return text if _E164.fullmatch(text) else None
        return "+86" + national if _CN_MOBILE.fullmatch(national) else None
    return text if _E164.fullmatch(text) else None


def mask_phone(phone_e164: str) -> str:
    """+8613800138000 -> 138****8000, as the edge masks it."""
    digits = phone_e164[3:] if phone_e164.startswith("+86") else phone_e164.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


_decode_book = msgspec.json.Decoder(PriceBook).decode


class PriceBookFile:
    """The till's copy of the book: in memory, and in a file written atomically (a power cut leaves the
    old copy or the new one, never half of one)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.book: PriceBook | None = None
        self.fetched_at: datetime | None = None
        if self.path.exists():
            try:
                self.book = _decode_book(self.path.read_bytes())
                self.fetched_at = datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()
            except (msgspec.DecodeError, msgspec.ValidationError, OSError):
                self.book = None  # a damaged copy is no copy: the next refresh replaces it

    @property
    def version(self) -> str | None:
        return self.book.version if self.book is not None else None

    def replace(self, body: bytes, now: datetime) -> PriceBook:
        book = _decode_book(body)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with self._lock:
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            self.book, self.fetched_at = book, now
        return book

    def touch(self, now: datetime) -> None:
        """The edge said the copy is current (304)."""
        self.fetched_at = now
