"""The lanes' price locks in memory, per store runtime: a quote that holds nothing scarce keeps its
lock here only (bounded), so it stays a pure read; losing one only means its sale re-prices."""

import threading
from datetime import datetime

from ..domain.price_lock import PriceLock


class LockBook:
    """The lanes' latest locks by checkout id, oldest dropped past `max_size`."""

    def __init__(self, max_size: int = 5000) -> None:
        self.max_size = max_size
        self._by_id: dict[str, PriceLock] = {}
        self._by_lane: dict[str, str] = {}  # the lane's latest checkout: a lane rings up one at a time
        self._lock = threading.Lock()

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
