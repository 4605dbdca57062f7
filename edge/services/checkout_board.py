"""The lanes' open checkouts in memory: what each customer display shows, the join QR it carries, and
how long that QR lives.

A checkout opens with its lane's first quote and stays open through every re-quote, so its join QR
(one token, one cached image) never changes under the customer's camera. It closes when its sale is
recorded, when the lane cancels it, or when the lane quotes another checkout; then its QR leads to no
join and the display goes back to idle. A display refresh never touches the disk; a restart loses
only what the lane's next quote rebuilds (joins and sales themselves are in SQLite). The board is
per store (`StoreRuntime.checkout_board`); what reads and changes it is `services.open_checkouts`.
"""

import threading
from dataclasses import dataclass, field

from ..domain.tokens import QrToken
from ..schemas import JoinOffer, QuoteOut

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

    def closed_reason(self, checkout_id: str) -> str | None:
        """None while the checkout is open on its lane; else why not (its closing reason, or "expired"
        when this process never saw it or forgot it)."""
        entry = self.by_id.get(checkout_id)
        if entry is None:
            return "expired"
        return entry.closed
