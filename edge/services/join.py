"""Scan-to-join: join offers for checkouts and receipts, standees, and joining through a QR token.

One join is one writer command: the member, its consents, the attribution (standee, checkout,
receipt sale, referrer), the receipt sale's points, the welcome coupon, the session and every
outbox event commit together or not at all.
"""

import hashlib
import importlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from ..domain import tokens
from ..domain.clock import iso
from ..domain.errors import Conflict, FieldError, InvalidInput, NotFound, StoreEdgeError
from ..domain.events import PaymentIdentityLinked, PointsEntry, SaleAttributed
from ..domain.ids import uuid7
from ..domain.loyalty import points_earned, qualified_tier
from ..domain.models import Member
from ..domain.tokens import QrToken, TokenRefused
from ..phones import normalise_phone
from ..schemas import CheckoutOut, ConsentIn, EnrolIn, JoinOffer, QuoteOut, StandeeIn, StandeeOut
from ..store import join as repo
from ..store import members as member_repo
from ..store import sales as sale_repo
from ..store.outbox import append_event
from . import personal_data
from .checkout_board import OpenCheckout
from .members import enrol_in, summary
from .runtime import StoreRuntime

SESSION_LIFETIME = timedelta(days=180)
REUSE_CHECKOUT_TOKEN_FOR = timedelta(minutes=3)  # a re-quote keeps the same QR while it has this long left
DISPLAY_RENEWS_BEFORE = timedelta(minutes=1)  # the display never shows a QR that dies while being scanned
_SHORT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: it is typed by hand from paper


# --- offers: the URLs a QR carries ------------------------------------------------------------

def token_url(store: StoreRuntime, text: str) -> str:
    return f"{store.config.public_base_url.rstrip('/')}/j/{text}"


def offer(store: StoreRuntime, token: QrToken) -> JoinOffer:
    text = tokens.sign(store.store_key, token)
    expires = iso(datetime.fromtimestamp(token.expires, UTC)) if token.expires else ""
    return JoinOffer(url=token_url(store, text), qr_png_url=token_url(store, text) + "/qr.png", expires_at=expires)


def receipt_offer(store: StoreRuntime, sale_id: str, sold_at: datetime) -> JoinOffer:
    """The join QR printed on a non-member's receipt: bound to the sale, good for 7 days."""
    return offer(store, tokens.receipt_token(sale_id, sold_at))


def referral_offer(store: StoreRuntime, member_id: str) -> JoinOffer:
    return offer(store, tokens.referral_token(member_id))


# --- open checkouts: what the customer display shows --------------------------------------------

def member_of_checkout(store: StoreRuntime, checkout_id: str | None) -> Member | None:
    """The member who scanned this checkout's QR, so a re-quote prices for them."""
    if checkout_id is None:
        return None
    joined = repo.checkout_join(store.reader.conn, checkout_id)
    if joined is None:
        return None
    member = member_repo.by_id(store.reader.conn, joined[0])
    return member if member is not None and member.erased_at is None else None


def present_checkout(store: StoreRuntime, out: QuoteOut, now: datetime) -> QuoteOut:
    """Put a quote on its lane's display; a non-member's quote gets the checkout join QR."""
    previous = store.checkout_board.by_id.get(out.checkout_id)
    if previous is not None and previous.token.expires - now.timestamp() > REUSE_CHECKOUT_TOKEN_FOR.total_seconds():
        token, join = previous.token, previous.offer  # same URL, same cached QR image on the display
    else:
        token = tokens.checkout_token(out.checkout_id, now)
        join = offer(store, token)
    if out.member is None:
        out = msgspec.structs.replace(out, join=join)
    store.checkout_board.put(OpenCheckout(out, token, join))
    return out


def checkout_view(store: StoreRuntime, checkout_id: str) -> CheckoutOut:
    """A checkout as the lane (or its display) sees it: last quote, member once joined, paid or open."""
    entry = store.checkout_board.by_id.get(checkout_id)
    conn = store.reader.conn
    joined = repo.checkout_join(conn, checkout_id)
    sale = repo.sale_of_checkout(conn, checkout_id)
    if entry is None and joined is None and sale is None:
        raise NotFound(f"no checkout {checkout_id}", [FieldError("checkout_id", "no such checkout")])
    member = member_of_checkout(store, checkout_id)
    quote = entry.quote if entry else None
    return CheckoutOut(
        checkout_id=checkout_id, status="paid" if sale else ("open" if entry else "unknown"),
        lane_id=quote.lane_id if quote else None, cashier_id=quote.cashier_id if quote else None, quote=quote,
        member=summary(member, store.reference().tiers) if member else None,
        joined_at=joined[2] if joined else None, new_member=bool(joined and joined[1]),
        join=entry.offer if entry and member is None else None, sale_id=sale)


def lane_checkout(store: StoreRuntime, lane_id: str) -> CheckoutOut | None:
    """The lane's latest checkout for its display; a join QR about to expire is renewed first."""
    checkout_id = store.checkout_board.by_lane.get(lane_id)
    if checkout_id is None:
        return None
    view = checkout_view(store, checkout_id)
    entry = store.checkout_board.by_id.get(checkout_id)
    now = store.clock()
    if view.status == "open" and view.member is None and entry is not None and \
            entry.token.expires - now.timestamp() < DISPLAY_RENEWS_BEFORE.total_seconds():
        present_checkout(store, entry.quote, now)
        view = checkout_view(store, checkout_id)
    return view


# --- standees ------------------------------------------------------------------------------------

def standee_out(store: StoreRuntime, s: repo.Standee) -> StandeeOut:
    base = store.config.public_base_url.rstrip("/")
    join = offer(store, tokens.standee_token(s.standee_id))
    api = f"{base}/api/v1/standees/{s.standee_id}"
    return StandeeOut(standee_id=s.standee_id, short_code=s.short_code, label=s.label, location=s.location,
                      welcome_campaign_id=s.welcome_campaign_id, url=join.url, short_url=f"{base}/s/{s.short_code}",
                      qr_png_url=join.qr_png_url, poster_png_url=f"{api}/poster.png",
                      poster_pdf_url=f"{api}/poster.pdf", scans=s.scans, joins=s.joins, created_at=s.created_at,
                      revoked_at=s.revoked_at)


async def create_standee(store: StoreRuntime, data: StandeeIn) -> tuple[StandeeOut, bool]:
    """Return (standee, created). A retried create with the same id and body answers the first."""
    standee_id = data.standee_id or uuid7()

    def command(conn: sqlite3.Connection) -> tuple[repo.Standee, bool]:
        found = repo.standee(conn, standee_id)
        if found is not None:
            if (found.label, found.location, found.welcome_campaign_id) != (
                    data.label, data.location, data.welcome_campaign_id):
                raise Conflict(f"standee {standee_id} exists with other values",
                               [FieldError("standee_id", "already used for another standee")])
            return found, False
        for _ in range(8):  # a clash of 6 random characters is rare; the UNIQUE constraint decides
            code = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(6))
            if repo.standee_by_short_code(conn, code) is None:
                break
        s = repo.Standee(standee_id=standee_id, short_code=code, label=data.label, location=data.location,
                         welcome_campaign_id=data.welcome_campaign_id, scans=0, created_at=iso(store.clock()),
                         revoked_at=None)
        repo.insert_standee(conn, s)
        return s, True

    s, created = await store.writer.run(command)
    return standee_out(store, s), created


def standee_by_short_code(store: StoreRuntime, short_code: str) -> repo.Standee | None:
    """The standee a hand-typed short code names (spaces and case forgiven), or None."""
    return repo.standee_by_short_code(store.reader.conn, short_code.strip().upper())


def get_standee(store: StoreRuntime, standee_id: str) -> repo.Standee:
    found = repo.standee(store.reader.conn, standee_id)
    if found is None:
        raise NotFound(f"no standee {standee_id}", [FieldError("standee_id", "no such standee")])
    return found


async def revoke_standee(store: StoreRuntime, standee_id: str) -> StandeeOut:
    get_standee(store, standee_id)
    await store.writer.run(lambda conn: repo.revoke_standee(conn, standee_id, store.clock()))
    return standee_out(store, get_standee(store, standee_id))


# --- joining through a token ---------------------------------------------------------------------

@dataclass(frozen=True)
class Invitation:
    """A token that checked out, and what it points at."""

    text: str
    token: QrToken
    standee: repo.Standee | None = None


def invitation(store: StoreRuntime, text: str) -> Invitation:
    """Verify a token and its state; TokenRefused says why it cannot lead to a join."""
    token = tokens.verify(store.store_key, text, store.clock())
    return _check_state(store.reader.conn, Invitation(text, token))


def _check_state(conn: sqlite3.Connection, inv: Invitation) -> Invitation:
    token = inv.token
    if token.kind == "standee":
        standee = repo.standee(conn, token.subject)
        if standee is None or standee.revoked_at is not None:
            raise TokenRefused("revoked", token)
        return Invitation(inv.text, token, standee)
    if token.kind == "checkout":
        if repo.checkout_join(conn, token.subject) is not None or repo.sale_of_checkout(conn, token.subject):
            raise TokenRefused("used", token)  # joined already, or paid: this checkout is over
    elif token.kind == "receipt":
        sale = sale_repo.get_sale(conn, token.subject)
        if sale is None or sale.status != "completed" or sale.member_id is not None:
            raise TokenRefused("used", token)
    elif token.kind == "member":  # a member-page link: it opens a page, it never joins anyone
        raise TokenRefused("tampered", token)
    elif token.kind == "referral":
        referrer = member_repo.by_id(conn, token.subject)
        if referrer is None or referrer.erased_at is not None:
            raise TokenRefused("revoked", token)
    return inv


async def count_scan(store: StoreRuntime, inv: Invitation) -> None:
    if inv.standee is not None:
        await store.writer.run(lambda conn: repo.count_scan(conn, inv.standee.standee_id))  # type: ignore[union-attr]


@dataclass(frozen=True)
class Joined:
    member: Member
    created: bool
    session: str  # the member page's session secret, for the cookie
    coupon: dict | None = None


def _welcome_coupon(conn: sqlite3.Connection, store: StoreRuntime, member_id: str, campaign_id: str | None,
                    now: datetime) -> dict | None:
    """Issue the standee's welcome coupon through the campaign engine, when this build has one."""
    if not campaign_id:
        return None
    try:
        coupons = importlib.import_module("edge.services.coupons")
    except ModuleNotFoundError:
        return None
    issue = getattr(coupons, "issue_welcome_coupon", None)
    if issue is None:
        return None
    # A used-up or ended campaign must not cost the customer their membership: undo the coupon alone.
    conn.execute("SAVEPOINT welcome_coupon")
    try:
        return issue(conn, store, member_id, campaign_id, now)
    except StoreEdgeError:
        conn.execute("ROLLBACK TO welcome_coupon")
        return None
    finally:
        conn.execute("RELEASE welcome_coupon")


def _attribute_receipt_sale(conn: sqlite3.Connection, store: StoreRuntime, member: Member, sale_id: str,
                            now: datetime) -> None:
    """The receipt's sale becomes the new member's: points once, spend, payer link, events."""
    sale = sale_repo.get_sale(conn, sale_id)
    assert sale is not None
    ref = store.reference()
    tier = ref.tiers[member.tier_id]
    points = points_earned(sale.charged_fen, tier, store.config.fen_per_point)  # on what was paid
    if not repo.attribute_sale(conn, sale_id, member.member_id, points):
        raise TokenRefused("used")  # attributed to someone else a moment ago: rolls this join back
    spend = member_repo.add_spend(conn, member.member_id, sale.charged_fen, now)
    better = qualified_tier(tier, spend, ref.tiers)
    if better.tier_id != tier.tier_id:
        member_repo.set_tier(conn, member.member_id, better.tier_id, now)
    if points:
        entry = member_repo.add_points(conn, member.member_id, "accrue", points, sale_id, now)
        append_event(conn, PointsEntry(entry_id=entry, member_id=member.member_id, kind="accrue", points=points,
                                       sale_id=sale_id), now)
    append_event(conn, SaleAttributed(sale_id=sale_id, store_id=store.config.store_id, business_day=sale.business_day,
                                      member_id=member.member_id, joined_source="receipt", points_earned=points), now)
    if sale.payer_hash and member.payment_link_consent and sale.payment_provider:
        if member_repo.link_payer(conn, sale.payer_hash, member.member_id, sale.payment_provider, now):
            append_event(conn, PaymentIdentityLinked(
                member_id=member.member_id, payer_hash=None, provider=sale.payment_provider,
                personal=personal_data.for_payer(conn, sale.payer_hash, now, {"payer_hash": sale.payer_hash})), now)


def new_session(conn: sqlite3.Connection, member_id: str, now: datetime) -> str:
    secret = secrets.token_urlsafe(32)
    repo.insert_session(conn, session_hash(secret), member_id, now, now + SESSION_LIFETIME)
    return secret


def session_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def join(store: StoreRuntime, text: str, phone: str, consent: ConsentIn) -> Joined:
    """Join (or sign in an existing member) through a token; the member page session comes back."""
    e164 = normalise_phone(phone, store.config.region)
    if not consent.granted:
        raise InvalidInput.on("consent.granted", "membership needs the customer's consent")
    inv = invitation(store, text)  # refuse early, without queueing for the writer
    token = inv.token
    lane_id, cashier_id = _lane_of(store, token)
    source = {"standee": "standee", "checkout": "checkout_qr", "receipt": "receipt", "referral": "referral"}[token.kind]

    def command(conn: sqlite3.Connection) -> Joined:
        now = store.clock()
        fresh = _check_state(conn, inv)  # again inside the transaction: another phone may have used it
        member = member_repo.by_phone(conn, e164)
        created, coupon = False, None
        if member is None:
            data = EnrolIn(phone=e164, consent=consent, source=source,
                           checkout_id=token.subject if token.kind == "checkout" else None,
                           standee_id=token.subject if token.kind == "standee" else None,
                           lane_id=lane_id, cashier_id=cashier_id)
            member, created = enrol_in(conn, store, data, e164,
                                       referrer_id=token.subject if token.kind == "referral" else None,
                                       receipt_sale_id=token.subject if token.kind == "receipt" else None)
        if member.erased_at is not None:
            raise TokenRefused("revoked", token)
        if token.kind == "checkout" and not repo.record_checkout_join(conn, token.subject, member.member_id,
                                                                      created, now):
            raise TokenRefused("used", token)
        if created and token.kind == "receipt":
            _attribute_receipt_sale(conn, store, member, token.subject, now)
        if created and fresh.standee is not None:
            coupon = _welcome_coupon(conn, store, member.member_id, fresh.standee.welcome_campaign_id, now)
        session = new_session(conn, member.member_id, now)
        return Joined(member_repo.by_id(conn, member.member_id) or member, created, session, coupon)

    return await store.writer.run(command)


def _lane_of(store: StoreRuntime, token: QrToken) -> tuple[str | None, str | None]:
    """The lane and cashier of the checkout a token belongs to, so the join is credited to them."""
    entry = store.checkout_board.by_id.get(token.subject) if token.kind == "checkout" else None
    return (entry.quote.lane_id, entry.quote.cashier_id) if entry else (None, None)


def list_standees(store: StoreRuntime) -> list[StandeeOut]:
    return [standee_out(store, s) for s in repo.standees(store.reader.conn)]
