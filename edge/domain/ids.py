"""Ids made where the thing is created: UUIDv7, time-sortable, unique across offline stores."""

import os
import threading
import time

_lock = threading.Lock()
_last = [0, 0]  # last millisecond and counter, so ids from one process stay strictly ordered


def uuid7(now_ms: int | None = None) -> str:
    """Return a new UUIDv7 string (RFC 9562): 48-bit ms time, 12-bit counter, 62 random bits."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        if ms <= _last[0]:
            ms = _last[0]
            counter = _last[1] + 1
            if counter > 0xFFF:  # counter exhausted in this ms: borrow the next ms
                ms, counter = ms + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2)) & 0x3FF  # leave head-room for the counter
        _last[0], _last[1] = ms, counter
    rand = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    h = f"{(ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"  # str(uuid.UUID(...)) without the object
