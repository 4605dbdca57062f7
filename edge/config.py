"""The store's own settings: kept in its database, so one file is the whole store (and its backup)."""

from datetime import time
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec


class StoreConfig(msgspec.Struct, frozen=True, kw_only=True):
    store_id: Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z0-9_.-]{1,64}\Z")]
    name: str
    region: str = "CN"  # default region for phone numbers typed without a country code
    timezone: str = "Asia/Shanghai"  # rules (member day, business day) read time here
    business_day_start: str = "04:00"  # a sale at 01:30 still belongs to yesterday's business day
    allow_negative_stock: bool = False  # True: sell past the system count (it is often wrong)
    fen_per_point: Annotated[int, msgspec.Meta(ge=1)] = 100  # one point per yuan at 1x
    consent_policy_version: str = "2026-01"
    public_base_url: str = "http://127.0.0.1:8000"  # what QR codes point customers at
    send_raw_phone_upstream: bool = False  # HQ gets phone HMAC + masked form unless True
    price_lock_minutes: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 10  # a quote's price holds this long
    void_window_minutes: Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 60)] = 30  # a lane voids its own sales

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def day_start(self) -> time:
        return _time_of_day(self.business_day_start)


@lru_cache(maxsize=64)  # read several times a request: build each once
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=64)
def _time_of_day(text: str) -> time:
    return time.fromisoformat(text)
