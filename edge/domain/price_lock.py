"""The price lock, as rules: what a quote holds, when a sale may take it, and how a charged amount
that is not the edge's price is explained. Pure: the store and the clock are the callers'.

A quote is a lock on its price for a while (`locked_until`). It holds the scarce things it priced
(flash units, coupon instances, uses of capped campaigns) so other lanes count them as taken. A sale
on the same checkout, with the same lines, before the lock runs out records the locked price; any
other sale is priced when it is recorded. Either way what the till charged is recorded: a difference
from the edge's price, and every sale rung up offline, is an exception for the manager, never a
refusal: the place to stop a till is the quote, before the customer pays.
"""

from collections.abc import Iterable
from datetime import datetime

import msgspec

from .pricing import Priced

CARD = "coupon:"  # offer ids of a member's coupon instances start with this


class Held(msgspec.Struct, frozen=True, kw_only=True):
    """One thing a lock holds: a use of a campaign (a coupon instance when `code`), or flash units of a SKU."""

    offer_id: str
    campaign_id: str
    code: str | None
    sku: str = ""
    units: int = 0


class PriceLock(msgspec.Struct, frozen=True, kw_only=True):
    """A checkout's last quote as a promise: this cart, for this customer, at this price, until then."""

    checkout_id: str
    lane_id: str
    cashier_id: str
    member_id: str | None
    recognised: bool  # the member was recognised from the payer the quote was given
    cart_key: bytes
    priced: Priced  # before any points redemption: the sale redeems the points itself
    quoted_at: datetime
    locked_until: datetime
    holds: bool  # it reserved something in the store database


_encode = msgspec.json.Encoder().encode


def cart_key(lines: Iterable[tuple[str, int, int | None]], codes: Iterable[str], redeem_points: int) -> bytes:
    """What makes two requests the same cart: lines in order (sku, qty, price override), codes, points."""
    return _encode((lines if isinstance(lines, list) else list(lines), codes, redeem_points))


def held_by(priced: Priced, limited: frozenset[str]) -> list[Held]:
    """What a priced cart must hold: flash units per SKU, coupon instances, uses of capped campaigns."""
    out: list[Held] = []
    for use in priced.uses:
        if use.units and use.by_sku:
            out.extend(Held(offer_id=use.offer_id, campaign_id=use.campaign_id, code=use.code, sku=sku, units=n)
                       for sku, n in sorted(use.by_sku.items()))
        elif use.offer_id.startswith(CARD) or use.campaign_id in limited:
            out.append(Held(offer_id=use.offer_id, campaign_id=use.campaign_id, code=use.code))
    return out


def is_live(lock: PriceLock | None, now: datetime) -> bool:
    return lock is not None and now < lock.locked_until


def takes_lock(lock: PriceLock | None, key: bytes, member_id: str | None, now: datetime) -> bool:
    """A sale records the locked price when the lock is live, the cart is the one quoted, and the
    sale names no other member than the one the quote priced."""
    return (lock is not None and is_live(lock, now) and lock.cart_key == key
            and (member_id is None or member_id == lock.member_id))


def price_state(lock: PriceLock | None, key: bytes, member_id: str | None, now: datetime) -> str:
    """How the edge came to its price for a sale: locked, expired, changed (lines or member) or none."""
    if lock is None:
        return "none"
    if not is_live(lock, now):
        return "expired"
    return "locked" if takes_lock(lock, key, member_id, now) else "changed"


_WHY = {
    "locked": "the till charged other than the locked quote",
    "expired": "the price lock had expired: the edge priced the sale when it was recorded",
    "changed": "the sale's lines differ from the checkout's quote: the edge priced them when recorded",
    "none": "no live price lock for this sale: the edge priced it when it was recorded",
}


def explain_charge(edge_total_fen: int, charged_fen: int, state: str, offline: bool,
                   rung_up_at: str | None) -> tuple[str, str] | None:
    """(kind, reason) of the exception a recorded sale carries, or None when the till charged the
    edge's price online. Every offline sale is one (kind `offline`), difference or not."""
    difference = charged_fen - edge_total_fen
    if offline:
        said = f"rung up offline at {rung_up_at}"
        if difference:
            return "offline", f"{said}: the till charged {charged_fen} fen, the edge prices {edge_total_fen} fen"
        return "offline", f"{said}: charged the edge's price"
    if difference:
        return "price", f"{_WHY[state]}; the till charged {charged_fen} fen, the edge prices {edge_total_fen} fen"
    return None
