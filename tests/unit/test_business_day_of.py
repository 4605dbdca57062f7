"""The runtime keeps the current business day's bounds; every moment must still fall on the day the
one calendar gives it, across the day's start, backwards in time and after the store's zone changes."""

import random
from datetime import UTC, datetime, timedelta

import msgspec

from edge.domain.calendar import business_day
from edge.services.runtime import StoreRuntime

START = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # 03:00 on the 30th in Shanghai: before the 04:00 start


def test_each_moment_falls_on_the_business_day_the_calendar_gives_it(store: StoreRuntime) -> None:
    rng = random.Random(7)
    moments = [START + timedelta(minutes=m) for m in range(0, 180, 7)]  # across 04:00 local
    moments += [START + timedelta(seconds=rng.randint(-200_000, 200_000)) for _ in range(300)]
    moments += [START + timedelta(hours=1) - timedelta(microseconds=1), START + timedelta(hours=1)]
    cfg = store.config
    for now in moments:  # in this order: later, then back and forth
        assert store.business_day_of(now) == business_day(now, cfg.tz, cfg.day_start).isoformat(), now
    assert store.business_day_of(START + timedelta(hours=1) - timedelta(microseconds=1)) == "2026-11-29"
    assert store.business_day_of(START + timedelta(hours=1)) == "2026-11-30"


def test_a_changed_zone_or_day_start_is_used_at_once(store: StoreRuntime) -> None:
    now = START + timedelta(minutes=30)  # 03:30 in Shanghai, 19:30 UTC on the 29th
    assert store.business_day_of(now) == "2026-11-29"
    store.config = msgspec.structs.replace(store.config, business_day_start="03:00")
    assert store.business_day_of(now) == "2026-11-30"
    store.config = msgspec.structs.replace(store.config, timezone="UTC", business_day_start="20:00")
    assert store.business_day_of(now) == "2026-11-28"
