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
from edge.domain.join_rate import SaleFacts
from edge.store import sales as sales_repo
from edge.store.outbox import append_event

LATE_JOIN_DAYS = 8  # receipt joins count up to 7 days back, plus the day boundary


class DailyCounts(msgspec.Struct, frozen=True, kw_only=True):
    business_day: str
    transactions: int
    nonmember_transactions: int
    joins: int
    joins_by_source: dict[str, int]
    join_rate_bps: int


def daily_counts(day: str, facts: list[SaleFacts]) -> DailyCounts:
    """The day's counts as the KPI defines them (edge.domain.join_rate)."""
    by_source: dict[str, int] = {}
    for f in facts:
        if f.joined_source:
            by_source[f.joined_source] = by_source.get(f.joined_source, 0) + 1
    base = sum(1 for f in facts if f.nonmember_at_start)
    joins = sum(by_source.values())
    return DailyCounts(business_day=day, transactions=len(facts), nonmember_transactions=base, joins=joins,
                       joins_by_source=dict(sorted(by_source.items())), join_rate_bps=rules.rate_bps(joins, base))


def _candidate_days(conn: sqlite3.Connection, after_seq: int, today: date) -> set[str]:
    days = {(today - timedelta(days=n)).isoformat() for n in range(LATE_JOIN_DAYS + 1)}
    rows = conn.execute("SELECT DISTINCT json_extract(CAST(payload AS TEXT), '$.business_day') FROM outbox "
                        "WHERE seq > ? AND type IN ('sale.completed', 'sale.voided')", (after_seq,))
    days.update(r[0] for r in rows if r[0])
    return days


def emit_changed_days(conn: sqlite3.Connection, store_id: str, now: datetime, tz: ZoneInfo, day_start: time,
                      after_seq: int) -> int:
    """Append a join_rate.daily event for each day whose counts changed; return how many."""
    today = rules.business_day(now, tz, day_start)
    emitted = dict(conn.execute("SELECT business_day, digest FROM sync_join_rate").fetchall())
    count = 0
    for day in sorted(_candidate_days(conn, after_seq, today)):
        facts = sales_repo.sale_facts(conn, day, day)
        if not facts and day not in emitted:
            continue  # nothing sold that day, and HQ was never told otherwise
        counts = daily_counts(day, facts)
        digest = hashlib.sha256(msgspec.json.encode(counts)).hexdigest()
        if emitted.get(day) == digest:
            continue
        revision = conn.execute(
            "INSERT INTO sync_join_rate (business_day, revision, digest) VALUES (?, 1, ?) "
            "ON CONFLICT (business_day) DO UPDATE SET revision = revision + 1, digest = excluded.digest "
            "RETURNING revision", (day, digest)).fetchone()[0]
        payload = {"store_id": store_id, "revision": revision, **msgspec.structs.asdict(counts)}
        append_event(conn, "join_rate.daily", now, payload)
        count += 1
    return count
