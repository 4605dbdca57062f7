"""The manager's join-rate report over business days in store-local time."""

from datetime import date, timedelta

from ..domain import join_rate as rules
from ..domain.errors import InvalidInput
from ..schemas import JoinRateOut, JoinRateRowOut
from ..store import sales as repo
from .runtime import StoreRuntime

MAX_DAYS = 366
DEFINITION = ("denominator: completed sales whose customer was not a member when the checkout started; "
              "numerator: those that ended attached to a member who joined during that checkout "
              "(or through its receipt QR within 7 days); by business day in store-local time")


def _day(text: str | None, field: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.on(field, "expected a date as YYYY-MM-DD") from None


def join_rate_report(store: StoreRuntime, from_: str | None, to: str | None, by: str) -> JoinRateOut:
    today = rules.business_day(store.clock(), store.tz, store.config.day_start)
    first, last = _day(from_, "from", today), _day(to, "to", today)
    if by not in ("day", "lane", "cashier", "source"):
        raise InvalidInput.on("by", "one of day, lane, cashier, source")
    if last < first:
        raise InvalidInput.on("to", "is before from")
    if last - first > timedelta(days=MAX_DAYS):
        raise InvalidInput.on("to", f"at most {MAX_DAYS} days per report")
    facts = repo.sale_facts(store.reader.conn, first.isoformat(), last.isoformat())
    rows = rules.join_rate(facts, by)
    base = sum(1 for f in facts if f.nonmember_at_start)
    joins = sum(1 for f in facts if f.joined_source)
    total = JoinRateRowOut(key="total", transactions=len(facts), nonmember_transactions=base, joins=joins,
                           join_rate_bps=rules.rate_bps(joins, base))
    return JoinRateOut(from_day=first.isoformat(), to_day=last.isoformat(), by=by, definition=DEFINITION,
                       rows=[JoinRateRowOut(key=r.key, transactions=r.transactions,
                                            nonmember_transactions=r.nonmember_transactions, joins=r.joins,
                                            join_rate_bps=r.join_rate_bps) for r in rows],
                       total=total)
