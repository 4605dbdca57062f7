"""The non-member join rate (非会员入会率), the store's key KPI, defined here once.

Denominator: completed (not voided) sales whose customer was not a member when the checkout
started. Numerator: those of them that ended attached to a member who joined during that checkout
(a cashier enrolment or a checkout-QR join carrying the sale's checkout id), or who joined later
through the sale's receipt QR (within 7 days; counted on the sale's business day).
A sale is counted on its business day in store-local time (the day starts at `day_start`).
"""

import msgspec

from .calendar import business_day

__all__ = ["JoinFacts", "JoinRateRow", "SaleFacts", "business_day", "classify_sale", "join_rate", "rate_bps"]


class JoinFacts(msgspec.Struct, frozen=True):
    """How a member joined, as far as a sale needs to know."""

    source: str
    checkout_id: str | None
    receipt_sale_id: str | None


class SaleFacts(msgspec.Struct, frozen=True, kw_only=True):
    business_day: str
    lane_id: str
    cashier_id: str
    nonmember_at_start: bool
    joined_source: str | None  # set when this sale's customer joined during it
    count: int = 1  # this many sales alike (the stored counts group them by day, lane, cashier and source)


class JoinRateRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    transactions: int
    nonmember_transactions: int
    joins: int
    join_rate_bps: int  # joins / non-member transactions in basis points, half up; 0 when none


def classify_sale(
    sale_id: str, checkout_id: str | None, member_id: str | None, join: JoinFacts | None
) -> tuple[bool, str | None]:
    """Return (was a non-member at checkout start, join source if the customer joined during it)."""
    if member_id is None:
        return True, None
    if join is not None:
        if checkout_id is not None and join.checkout_id == checkout_id:
            return True, join.source
        if join.receipt_sale_id == sale_id:
            return True, join.source
    return False, None


def rate_bps(joins: int, base: int) -> int:
    return (joins * 10_000 + base // 2) // base if base else 0


def join_rate(sales: list[SaleFacts], by: str) -> list[JoinRateRow]:
    """Aggregate sales into join-rate rows by `day`, `lane`, `cashier` or `source`.

    By source, each row counts the joins of that source over all non-member sales of the period
    (a non-member sale has no source of its own), so the rows' rates add up to the total rate.
    """
    if by not in ("day", "lane", "cashier", "source"):
        raise ValueError(f"cannot group join rate by {by!r}")
    if by == "source":
        base = sum(s.count for s in sales if s.nonmember_at_start)
        total = sum(s.count for s in sales)
        joins: dict[str, int] = {}
        for s in sales:
            if s.joined_source:
                joins[s.joined_source] = joins.get(s.joined_source, 0) + s.count
        return [JoinRateRow(key=k, transactions=total, nonmember_transactions=base, joins=n,
                            join_rate_bps=rate_bps(n, base)) for k, n in sorted(joins.items())]
    acc: dict[str, list[int]] = {}
    for s in sales:
        key = {"day": s.business_day, "lane": s.lane_id, "cashier": s.cashier_id}[by]
        row = acc.setdefault(key, [0, 0, 0])
        row[0] += s.count
        row[1] += s.count if s.nonmember_at_start else 0
        row[2] += s.count if s.joined_source is not None else 0
    return [JoinRateRow(key=k, transactions=t, nonmember_transactions=n, joins=j, join_rate_bps=rate_bps(j, n))
            for k, (t, n, j) in sorted(acc.items())]
