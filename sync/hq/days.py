"""Time and rate helpers HQ shares with the edge's rules, copied here so HQ never imports the edge.

`iso` writes the same text as the edge's clock (RFC 3339 UTC, milliseconds), `business_day` puts
a moment on the same calendar (store-local day, starting at e.g. 04:00), and `rate_bps` is the
join-rate formula (half up, in basis points). A test holds each equal to the edge's own.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
DEFAULT_DAY_START = time(4, 0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def business_day(moment: datetime, zone: ZoneInfo, day_start: time = DEFAULT_DAY_START) -> date:
    local = moment.astimezone(zone)
    return local.date() - timedelta(days=1) if local.time() < day_start else local.date()


def rate_bps(joins: int, base: int) -> int:
    return (joins * 10_000 + base // 2) // base if base else 0
