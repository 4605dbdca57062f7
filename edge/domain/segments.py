"""Member segments for the manager, from join time and completed orders. Pure."""

from datetime import datetime, timedelta
from typing import Literal

Segment = Literal["loyal", "new", "active", "at_risk", "dormant"]
SEGMENTS: tuple[Segment, ...] = ("loyal", "new", "active", "at_risk", "dormant")
LOYAL_ORDERS = 4
RECENT = timedelta(days=30)
AT_RISK = timedelta(days=90)
DEFINITION = ("first that fits: loyal = at least 4 completed orders in the last 30 days; new = joined in the "
              "last 30 days; active = an order in the last 30 days; at_risk = last order 31-90 days ago; "
              "dormant = no order in 90 days")


def segment_of(joined_at: datetime, orders_30d: int, last_order_at: datetime | None, now: datetime) -> Segment:
    """The one segment a member is in at `now` (忠实用户: at least 4 orders in 30 days)."""
    if orders_30d >= LOYAL_ORDERS:
        return "loyal"
    if now - joined_at <= RECENT:
        return "new"
    if last_order_at is not None and now - last_order_at <= RECENT:
        return "active"
    if last_order_at is not None and now - last_order_at <= AT_RISK:
        return "at_risk"
    return "dormant"
