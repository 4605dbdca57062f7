"""Time, injected: rules take `now` from a Clock so tests can stand anywhere on the calendar."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_last: tuple[datetime | None, str] = (None, "")  # one command stamps many rows with the same `now`


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, e.g. 2026-11-23T06:30:00.000Z: sorts as text, reads as time."""
    global _last
    seen, text = _last  # replaced as one tuple: a thread never sees one moment with another's text
    if seen is moment:
        return text
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    _last = (moment, text)
    return text


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
