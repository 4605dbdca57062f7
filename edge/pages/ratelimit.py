"""Token buckets for the public pages, in memory: one process serves a store, and a restart
forgetting the counts only gives an abuser a fresh burst, which the buckets then refill slowly."""

import threading
import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at `per_second`; keys are addresses or phone hashes."""

    capacity: float
    per_second: float
    max_keys: int = 50_000
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.per_second)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return False
            if len(self._state) >= self.max_keys:  # bounded: a flood of addresses cannot grow it forever
                self._state.clear()
            self._state[key] = (tokens - 1, now)
            return True


@dataclass
class RateLimits:
    """Per address: any public page hit. Per phone: join attempts with that phone. Per address again:
    invite codes typed on the join page, 10 an hour (the arithmetic is in domain/referral.py)."""

    address: TokenBucket = field(default_factory=lambda: TokenBucket(capacity=60, per_second=1.0))
    phone: TokenBucket = field(default_factory=lambda: TokenBucket(capacity=5, per_second=5 / 600))
    invite: TokenBucket = field(default_factory=lambda: TokenBucket(capacity=10, per_second=10 / 3600))
