"""Open checkouts, in memory: what each lane's customer display follows, and how long a checkout's
join QR lives.

A checkout opens with its lane's first quote and stays open through every re-quote, so its join QR
(one token, one cached image) never changes under the customer's camera. It closes when its sale is
recorded, when the lane cancels it, or when the lane quotes another checkout; then its QR leads to no
join and the display goes back to idle. A display refresh never touches the disk; a restart loses
only what the lane's next quote rebuilds (joins and sales themselves are in SQLite).
"""

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from ..domain import tokens
from ..domain.errors import Conflict, FieldError, NotFound
from ..domain.models import Member
from ..domain.tokens import QrToken
from ..schemas import CheckoutOut, JoinOffer, QuoteOut
from ..store import join as repo
from ..store import members as member_repo
from .members import summary
from .runtime import Store

OPEN, PAID, CANCELLED, SUPERSEDED = None, "paid", "cancelled", "superseded"


@dataclass
class OpenCheckout:
    quote: QuoteOut
    token: QrToken
    offer: JoinOffer  # the QR's URLs with the latest pitch on them
    closed: str | None = OPEN
    base: JoinOffer | None = None  # the QR's URLs alone: signed once per checkout, not per quote


@dataclass
class CheckoutBoard:
    """The lanes' latest quotes, by checkout and by lane."""

    max_size: int = 2000
    by_id: dict[str, OpenCheckout] = field(default_factory=dict)
    by_lane: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, entry: OpenCheckout) -> None:
        """Show a quote on its lane; the lane's previous checkout, if another, is superseded."""
        checkout_id, lane_id = entry.quote.checkout_id, entry.quote.lane_id
        with self.lock:
            before = self.by_lane.get(lane_id)
            if before is not None and before != checkout_id and (prev := self.by_id.get(before)) is not None:
                prev.closed = prev.closed or SUPERSEDED
            self.by_id.pop(checkout_id, None)
            self.by_id[checkout_id] = entry
            self.by_lane[lane_id] = checkout_id
            while len(self.by_id) > self.max_size:  # oldest first: dicts keep insertion order
                self.by_id.pop(next(iter(self.by_id)))

    def close(self, checkout_id: str, reason: str) -> OpenCheckout | None:
        """Close a checkout (paid or cancelled) and take it off its lane's display."""
        with self.lock:
            entry = self.by_id.get(checkout_id)
            if entry is None:
                return None
            entry.closed = reason
            if self.by_lane.get(entry.quote.lane_id) == checkout_id:
                del self.by_lane[entry.quote.lane_id]
            return entry

    def close_lane(self, lane_id: str, reason: str) -> None:
        """A lane recorded a sale without naming its checkout: what its display showed is over."""
        with self.lock:
            checkout_id = self.by_lane.pop(lane_id, None)
            entry = self.by_id.get(checkout_id) if checkout_id else None
            if entry is not None and entry.closed is None:
                entry.closed = reason


_boards: "weakref.WeakKeyDictionary[Store, CheckoutBoard]" = weakref.WeakKeyDictionary()


def board(store: Store) -> CheckoutBoard:
    found = _boards.get(store)
    if found is None:
        found = _boards.setdefault(store, CheckoutBoard())
    return found


def is_open(store: Store, checkout_id: str) -> str | None:
    """None while the checkout is open on its lane; else why not ("closed" reason, or "expired" when
    this process never saw it or forgot it)."""
    entry = board(store).by_id.get(checkout_id)
    if entry is None:
        return "expired"
    return entry.closed


def present(store: Store, out: QuoteOut, now: datetime, make_offer, pitched=None) -> QuoteOut:  # noqa: ANN001
    """Put a quote on its lane's display. A non-member's quote gets the checkout's join QR, the same
    one for the checkout's whole life, with this quote's pitch (`pitched(offer) -> offer`) on it."""
    previous = board(store).by_id.get(out.checkout_id)
    if previous is not None and previous.token.expires > now.timestamp() and previous.base is not None:
        token, base = previous.token, previous.base  # same URL, same cached QR image on the display
    else:
        token = tokens.checkout_token(out.checkout_id, now)
        base = make_offer(token)
    join = base
    if out.member is None:
        if pitched is not None:
            join = pitched(base)
        out = msgspec.structs.replace(out, join=join)
    board(store).put(OpenCheckout(out, token, join, base=base))
    return out


def sale_recorded(store: Store, lane_id: str, checkout_id: str | None) -> None:
    """After a sale commits: its checkout is paid, and the lane's display goes back to idle."""
    if checkout_id is not None:
        board(store).close(checkout_id, PAID)
    board(store).close_lane(lane_id, SUPERSEDED)


def member_of_checkout(store: Store, checkout_id: str | None) -> Member | None:
    """The member who scanned this checkout's QR, so a re-quote prices for them."""
    if checkout_id is None:
        return None
    joined = repo.checkout_join(store.reader.conn, checkout_id)
    if joined is None:
        return None
    member = member_repo.by_id(store.reader.conn, joined[0])
    return member if member is not None and member.erased_at is None else None


def view(store: Store, checkout_id: str) -> CheckoutOut:
    """A checkout as the lane (or its display) sees it: last quote, member once joined or named,
    paid, cancelled or open."""
    entry = board(store).by_id.get(checkout_id)
    conn = store.reader.conn
    joined = repo.checkout_join(conn, checkout_id)
    sale = repo.sale_of_checkout(conn, checkout_id)
    if entry is None and joined is None and sale is None:
        raise NotFound(f"no checkout {checkout_id}", [FieldError("checkout_id", "no such checkout")])
    member = member_of_checkout(store, checkout_id)
    quote = entry.quote if entry else None
    shown = summary(member, store.reference().tiers) if member else (quote.member if quote else None)
    if sale:
        status = "paid"
    elif entry is None:
        status = "unknown"
    else:
        status = "cancelled" if entry.closed == CANCELLED else "open"
    live = entry is not None and entry.closed is None and shown is None
    return CheckoutOut(
        checkout_id=checkout_id, status=status,  # type: ignore[arg-type]
        lane_id=quote.lane_id if quote else None, cashier_id=quote.cashier_id if quote else None, quote=quote,
        member=shown, joined_at=joined[2] if joined else None, new_member=bool(joined and joined[1]),
        join=entry.offer if live else None, sale_id=sale)  # type: ignore[union-attr]


def lane_checkout(store: Store, lane_id: str) -> CheckoutOut | None:
    """The lane's open checkout for its display, or None when the lane has none (idle)."""
    checkout_id = board(store).by_lane.get(lane_id)
    if checkout_id is None:
        return None
    return view(store, checkout_id)


def cancel(store: Store, checkout_id: str) -> CheckoutOut:
    """Cancel an open checkout: its QR leads to no join and the display goes idle. A paid one is 409."""
    current = view(store, checkout_id)  # NotFound for a checkout nobody saw
    if current.status == "paid":
        raise Conflict(f"checkout {checkout_id} was paid", [FieldError("checkout_id", "already paid: void the sale")])
    board(store).close(checkout_id, CANCELLED)
    return view(store, checkout_id)
