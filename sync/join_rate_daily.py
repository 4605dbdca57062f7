"""`join_rate.daily`: the store's join-rate counts per business day, re-emitted when they change.

A late receipt join (within 7 days) or a void changes an earlier day's counts, so every seal looks
at the last days and at the days named by the events about to be sealed, and emits a day again,
with a higher revision, only when its counts differ from what HQ was last sent.
"""

import hashlib
import sqlite3
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from edge.domain import join_rate as rules
from edge.domain.clock import iso, parse_iso
from edge.domain.events import JoinRateDaily
from edge.domain.join_rate import SaleFacts
from edge.store import sales as sales_repo
from edge.store.outbox import append_event, occurred_at_after

LATE_JOIN_DAYS = 8  # receipt joins count up to 7 days back, plus the day boundary


class DailyCounts(msgspec.Struct, frozen=True, kw_only=True):
    business_day: str
    transactions: int
    nonmember_transactions: int
    joins: int
    joins_by_source: dict[str, int]
    join_rate_bps: int


def daily_counts(day: str, facts: list[SaleFacts]) -> DailyCounts:
    """The day's counts as the KPI defines them (edge.domain.join_rate), over the sales themselves:
    the definition `counts_of_day` is held to by tests."""
    by_source: dict[str, int] = {}
    for f in facts:
        if f.joined_source:
            by_source[f.joined_source] = by_source.get(f.joined_source, 0) + 1
    base = sum(1 for f in facts if f.nonmember_at_start)
    joins = sum(by_source.values())
    return DailyCounts(business_day=day, transactions=len(facts), nonmember_transactions=base, joins=joins,
                       joins_by_source=dict(sorted(by_source.items())), join_rate_bps=rules.rate_bps(joins, base))


def counts_of_day(conn: sqlite3.Connection, day: str) -> DailyCounts:
    """`daily_counts` of the day's sales, from the running counts their triggers keep: the seal runs in
    the writer, where loading or even counting a busy day's sales took tens of milliseconds (tests
    hold the two equal)."""
    rows = sales_repo.day_tally(conn, day)
    by_source = {src: n for src, n, _ in rows if src}
    base = sum(nonmember for _, _, nonmember in rows)
    joins = sum(by_source.values())
    return DailyCounts(business_day=day, transactions=sum(n for _, n, _ in rows), nonmember_transactions=base,
                       joins=joins, joins_by_source=dict(sorted(by_source.items())),
                       join_rate_bps=rules.rate_bps(joins, base))


VOID_CLOCK_SLACK = timedelta(days=1)  # a clock set back a little must not hide a void from the seal


def _candidate_days(conn: sqlite3.Connection, after_seq: int, today: date, tz: ZoneInfo, day_start: time) -> set[str]:
    """The last days (late receipt joins), every day since the oldest event about to be sealed (its
    sales), and the days of sales voided since then. Read from indexes: scanning the unsealed
    events' payloads took ~30 ms a seal after a busy hour, inside the writer."""
    days = {(today - timedelta(days=n)).isoformat() for n in range(LATE_JOIN_DAYS + 1)}
    first = occurred_at_after(conn, after_seq)
    if first is None:
        return days
    since = parse_iso(first)
    day = rules.business_day(since, tz, day_start)
    while day <= today:
        days.add(day.isoformat())
        day += timedelta(days=1)
    days.update(sales_repo.days_voided_since(conn, iso(since - VOID_CLOCK_SLACK)))
    return days


def emit_changed_days(conn: sqlite3.Connection, store_id: str, now: datetime, tz: ZoneInfo, day_start: time,
                      after_seq: int) -> int:
    """Append a join_rate.daily event for each day whose counts changed; return how many."""
    today = rules.business_day(now, tz, day_start)
    emitted = dict(conn.execute("SELECT business_day, digest FROM sync_join_rate").fetchall())
    count = 0
    for day in sorted(_candidate_days(conn, after_seq, today, tz, day_start)):
        counts = counts_of_day(conn, day)
        if not counts.transactions and day not in emitted:
            continue  # nothing sold that day, and HQ was never told otherwise
        digest = hashlib.sha256(msgspec.json.encode(counts)).hexdigest()
        if emitted.get(day) == digest:
            continue
        revision = conn.execute(
            "INSERT INTO sync_join_rate (business_day, revision, digest) VALUES (?, 1, ?) "
            "ON CONFLICT (business_day) DO UPDATE SET revision = revision + 1, digest = excluded.digest "
            "RETURNING revision", (day, digest)).fetchone()[0]
        append_event(conn, JoinRateDaily(store_id=store_id, revision=revision, **msgspec.structs.asdict(counts)), now)
        count += 1
    return count
