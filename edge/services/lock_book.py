"""The lanes' price locks in memory, per store runtime: a quote that holds nothing scarce keeps its
lock here only (bounded), so it stays a pure read; losing one only means its sale re-prices.

The book also knows which checkouts have a lock stored with reservations (loaded when the store
opens, then kept by the writer thread as it saves and releases them), so a sale on a lane that holds
nothing looks for no stored lock. It errs one way only: a checkout may stay listed after its row went
(then the sale looks and finds nothing), never the other."""

import threading
from collections.abc import Callable
from datetime import datetime

from ..domain.price_lock import PriceLock


class LockBook:
    """The lanes' latest locks by checkout id, oldest dropped past `max_size`."""

    def __init__(self, max_size: int = 5000) -> None:
        self.max_size = max_size
        self._by_id: dict[str, PriceLock] = {}
        self._by_lane: dict[str, str] = {}  # the lane's latest checkout: a lane rings up one at a time
        self._lock = threading.Lock()
        # checkout id -> (lane,) of the locks stored with reservations; a fresh tuple each time one is
        # stored, so a release that commits after a newer save of the same checkout leaves it listed
        self._stored: dict[str, tuple[str]] = {}
        self._stored_lanes: dict[str, int] = {}  # lane -> how many of those

    def load_stored(self, rows: list[tuple[str, str]]) -> None:
        """(checkout id, lane id) of every lock stored in the database, when the store opens."""
        for checkout_id, lane_id in rows:
            self.stored(checkout_id, lane_id)

    def stored(self, checkout_id: str, lane_id: str) -> None:
        """From the writer thread, as it saves a lock with reservations (before the commit: a later
        command of the same group may look for it)."""
        was = self._stored.get(checkout_id)
        if was is not None:
            self._forget_lane(was[0])
        self._stored[checkout_id] = (lane_id,)
        self._stored_lanes[lane_id] = self._stored_lanes.get(lane_id, 0) + 1

    def unstore_later(self, checkout_id: str) -> Callable[[], None]:
        """From the writer thread, as it releases a stored lock: the callback to run once that commit
        went through. It forgets the checkout only if no command stored it again meanwhile."""
        entry = self._stored.get(checkout_id)

        def unstore() -> None:
            if entry is not None and self._stored.get(checkout_id) is entry:
                del self._stored[checkout_id]
                self._forget_lane(entry[0])

        return unstore

    def _forget_lane(self, lane_id: str) -> None:
        left = self._stored_lanes[lane_id] - 1
        if left:
            self._stored_lanes[lane_id] = left
        else:
            del self._stored_lanes[lane_id]

    def may_be_stored(self, checkout_id: str) -> bool:
        return checkout_id in self._stored

    def lane_may_have_stored(self, lane_id: str) -> bool:
        return lane_id in self._stored_lanes

    def get(self, checkout_id: str | None) -> PriceLock | None:
        return self._by_id.get(checkout_id) if checkout_id is not None else None

    def of_lane(self, lane_id: str) -> PriceLock | None:
        checkout_id = self._by_lane.get(lane_id)
        return self._by_id.get(checkout_id) if checkout_id is not None else None

    def put(self, lock: PriceLock) -> None:
        # no lock taken on the hot path: each dict operation is atomic under the GIL, and a lane that
        # raced another to the bound at worst drops one entry too many (its sale then re-prices)
        by_id = self._by_id
        by_id.pop(lock.checkout_id, None)  # re-inserted last: the newest are kept
        by_id[lock.checkout_id] = lock
        self._by_lane[lock.lane_id] = lock.checkout_id
        if len(by_id) > self.max_size:
            with self._lock:
                while len(by_id) > self.max_size:  # dicts keep insertion order: the oldest goes
                    by_id.pop(next(iter(by_id)), None)

    def drop(self, checkout_id: str) -> None:
        with self._lock:
            gone = self._by_id.pop(checkout_id, None)
            if gone is not None and self._by_lane.get(gone.lane_id) == checkout_id:
                del self._by_lane[gone.lane_id]

    def expire(self, now: datetime) -> None:
        """Drop the locks whose time is up (the upkeep's sweep)."""
        for checkout_id, lock in list(self._by_id.items()):
            if lock.locked_until <= now:
                self.drop(checkout_id)

    def __len__(self) -> int:
        return len(self._by_id)
