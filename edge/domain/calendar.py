"""The store's one calendar: the business day, which rules and reports both read.

A business day starts at the store's `business_day_start` (04:00 by default) in store-local time, so
the night after a day still belongs to it. Campaign weekdays, date ranges, birthdays and anniversaries
are read on the business day, exactly like the join rate and the reports; a time window (`time_from`
/ `time_to`, flash hours) is read on the wall clock, so "22:00-02:00" means what a person reads.

Example, business day from 04:00 in Asia/Shanghai, a Friday member day:
- Friday 03:59: still Thursday's business day: no member-day price, counted in Thursday's join rate;
- Friday 04:00 until Saturday 03:59: Friday's business day: member-day price, Friday's join rate;
- Saturday 02:46: still Friday: the member-day price holds, and the sale is in Friday's report.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_DAY_START = time(4, 0)


def business_date(local: datetime, day_start: time = DEFAULT_DAY_START) -> date:
    """The business day of a moment already read in store-local time: before `day_start` is yesterday."""
    day = local.date()
    return day - timedelta(days=1) if local.time() < day_start else day


def business_day(now: datetime, tz: ZoneInfo, day_start: time = DEFAULT_DAY_START) -> date:
    """The store-local business day `now` belongs to."""
    return business_date(now.astimezone(tz), day_start)


def day_begins(day: date, tz: ZoneInfo, day_start: time = DEFAULT_DAY_START) -> datetime:
    """The moment a business day starts, in the store's zone."""
    return datetime.combine(day, day_start, tz)
