"""The lanes' open checkouts in memory: what each customer display shows, and the join QR it carries."""

import threading
from dataclasses import dataclass, field

from ..domain.tokens import QrToken
from ..schemas import JoinOffer, QuoteOut


@dataclass
class OpenCheckout:
    quote: QuoteOut
    token: QrToken
    offer: JoinOffer


@dataclass
class CheckoutBoard:
    """The lanes' latest quotes, in memory: a display refresh must not touch the disk, and a
    restart loses only what the next quote rebuilds (joins themselves are in SQLite)."""

    max_size: int = 2000
    by_id: dict[str, OpenCheckout] = field(default_factory=dict)
    by_lane: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, entry: OpenCheckout) -> None:
        with self.lock:
            self.by_id.pop(entry.quote.checkout_id, None)
            self.by_id[entry.quote.checkout_id] = entry
            self.by_lane[entry.quote.lane_id] = entry.quote.checkout_id
            while len(self.by_id) > self.max_size:  # oldest first: dicts keep insertion order
                self.by_id.pop(next(iter(self.by_id)))
