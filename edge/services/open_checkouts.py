"""A lane's open checkout as the lane and its customer display see it: the quote on the display with the
checkout's one join QR, the member once joined or named, paid, cancelled or open. The in-memory board
itself is `services.checkout_board` (one per store, on the runtime)."""

from datetime import datetime

import msgspec

from ..domain import tokens
from ..domain.errors import FieldError, NotFound
from ..domain.models import Member
from ..schemas import CheckoutOut, QuoteOut
from ..store import join as repo
from ..store import locks as lock_repo
from ..store import members as member_repo
from . import price_lock
from .checkout_board import CANCELLED, PAID, SUPERSEDED, OpenCheckout
from .members import summary
from .runtime import StoreRuntime


def present(store: StoreRuntime, out: QuoteOut, now: datetime, make_offer, pitched=None) -> QuoteOut:  # noqa: ANN001
    """Put a quote on its lane's display. A non-member's quote gets the checkout's join QR, the same
    one for the checkout's whole life, with this quote's pitch (`pitched(offer) -> offer`) on it."""
    previous = store.checkout_board.by_id.get(out.checkout_id)
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
    store.checkout_board.put(OpenCheckout(out, token, join, base=base))
    return out


def sale_recorded(store: StoreRuntime, lane_id: str, checkout_id: str | None) -> None:
    """After a sale commits: its checkout is paid, and the lane's display goes back to idle."""
    if checkout_id is not None:
        store.checkout_board.close(checkout_id, PAID)
    store.checkout_board.close_lane(lane_id, SUPERSEDED)


def member_of_checkout(store: StoreRuntime, checkout_id: str | None) -> Member | None:
    """The member who scanned this checkout's QR, so a re-quote prices for them."""
    if checkout_id is None:
        return None
    joined = repo.checkout_join(store.reader.conn, checkout_id)
    if joined is None:
        return None
    member = member_repo.by_id(store.reader.conn, joined[0])
    return member if member is not None and member.erased_at is None else None


def view(store: StoreRuntime, checkout_id: str) -> CheckoutOut:
    """A checkout as the lane (or its display) sees it: last quote, member once joined or named,
    paid, cancelled or open."""
    entry = store.checkout_board.by_id.get(checkout_id)
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


def lane_checkout(store: StoreRuntime, lane_id: str) -> CheckoutOut | None:
    """The lane's open checkout for its display, or None when the lane has none (idle)."""
    checkout_id = store.checkout_board.by_lane.get(lane_id)
    if checkout_id is None:
        return None
    return view(store, checkout_id)


def known(store: StoreRuntime, checkout_id: str) -> bool:
    """Whether anything here knows the checkout: a quote on the board, a price lock (in memory, or
    stored with what it holds, which outlives a restart), a join through its QR, or its sale."""
    conn = store.reader.conn
    return (checkout_id in store.checkout_board.by_id or store.price_locks.get(checkout_id) is not None
            or lock_repo.has_lock(conn, checkout_id) or repo.checkout_join(conn, checkout_id) is not None
            or repo.sale_of_checkout(conn, checkout_id) is not None)


async def cancel(store: StoreRuntime, checkout_id: str) -> int:
    """Cancel a checkout: its price lock ends and what it reserved goes back (how many comes back;
    cancelling again releases nothing more), its join QR leads to no join and the lane's display goes
    idle. A paid one is 409 (void its sale instead); one nothing here knows is 404."""
    if not known(store, checkout_id):
        raise NotFound(f"no checkout {checkout_id}", [FieldError("checkout_id", "no such checkout")])
    released = await price_lock.cancel(store, checkout_id)  # the 409 for a paid one, in the writer
    store.checkout_board.close(checkout_id, CANCELLED)
    return released
