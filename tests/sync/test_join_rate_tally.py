"""The seal reads a day's join rate from running counts the sales' triggers keep; they must say
exactly what the KPI's definition says over the sales themselves, whatever happened to them."""

import sqlite3
import tempfile
from pathlib import Path

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.join_rate import join_rate
from edge.store import sales as sales_repo
from edge.store.connection import connect, open_database
from edge.store.migrations import m003_sales_day_counts, m013_history_kept, migrate
from sync.join_rate_daily import counts_of_day, daily_counts
from sync.migrations import SYNC_MIGRATIONS

DAYS = ["2026-11-22", "2026-11-23"]
SOURCES = [None, None, "cashier", "checkout_qr", "receipt_qr"]
sale_st = st.tuples(st.sampled_from(DAYS), st.sampled_from(["completed", "completed", "voided"]), st.booleans(),
                    st.sampled_from(SOURCES))
# what happens to a sale after it is written: a void, a late receipt join, an erasure's rewrite
later_st = st.tuples(st.sampled_from(["void", "join", "erase"]), st.integers(0, 39))


def _insert(conn: sqlite3.Connection, sales: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO sales (sale_id, request_hash, status, lane_id, cashier_id, subtotal_fen, discount_fen, "
        "total_fen, points_earned, payment_method, created_at, business_day, nonmember_at_start, joined_source, "
        "response) VALUES (?, 'h', ?, 'L1', 'C1', 100, 0, 100, 0, 'cash', 'x', ?, ?, ?, x'00')",
        [(f"s{n}", status, day, nonmember, source) for n, (day, status, nonmember, source) in enumerate(sales)])


def _apply(conn: sqlite3.Connection, later: list[tuple[str, int]]) -> None:
    for what, n in later:
        sale_id = f"s{n}"
        if what == "void":
            conn.execute("UPDATE sales SET status = 'voided', voided_at = 'y' WHERE sale_id = ?", (sale_id,))
        elif what == "join":
            conn.execute("UPDATE sales SET joined_source = 'receipt' WHERE sale_id = ? AND joined_source IS NULL",
                         (sale_id,))
        elif what == "erase":
            conn.execute("UPDATE sales SET member_id = NULL, response = x'01' WHERE sale_id = ?", (sale_id,))


def _check(conn: sqlite3.Connection) -> None:
    for day in DAYS:
        facts = sales_repo.sale_facts(conn, day, day)
        assert counts_of_day(conn, day) == daily_counts(day, facts)
        for by in ("day", "lane", "cashier", "source"):  # the report's counts by lane and cashier too
            assert join_rate(sales_repo.counted_facts(conn, day, day), by) == join_rate(facts, by)


def _counts(conn: sqlite3.Connection) -> tuple[list, list]:
    return (conn.execute("SELECT * FROM sales_day_counts ORDER BY 1, 2").fetchall(),
            conn.execute("SELECT * FROM sales_lane_counts ORDER BY 1, 2, 3, 4").fetchall())


@settings(max_examples=80, deadline=None)
@given(st.lists(sale_st, max_size=40), st.lists(later_st, max_size=20))
def test_the_running_counts_equal_the_definition_over_the_days_sales(sales, later):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path), SYNC_MIGRATIONS)
        conn = connect(path)
        _insert(conn, sales)
        _check(conn)
        _apply(conn, later)
        _check(conn)
        conn.close()


@settings(max_examples=30, deadline=None)
@given(st.lists(sale_st, max_size=40), st.lists(later_st, max_size=10), st.sets(st.integers(0, 39)))
def test_deleting_sales_keeps_their_days_counts(sales, later, deleted):
    """Only retention deletes sales: the days it forgets keep their join-rate counts."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path), SYNC_MIGRATIONS)
        conn = connect(path)
        _insert(conn, sales)
        _apply(conn, later)
        before = _counts(conn)
        conn.executemany("DELETE FROM sales WHERE sale_id = ?", [(f"s{n}",) for n in deleted])
        assert _counts(conn) == before
        conn.close()


@settings(max_examples=30, deadline=None)
@given(st.lists(sale_st, min_size=1, max_size=40))
def test_the_migrations_fill_the_counts_from_the_sales_a_store_already_has(sales):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path), SYNC_MIGRATIONS)
        conn = connect(path)
        conn.executescript("DROP TRIGGER sale_counted; DROP TRIGGER sale_recounted; DROP TABLE sales_day_counts; "
                           "DROP TRIGGER sale_lane_counted; DROP TRIGGER sale_lane_recounted; "
                           "DROP TABLE sales_lane_counts; DROP INDEX sales_member; DROP INDEX referral_rewards_sale; "
                           "DROP INDEX points_ledger_at;")  # as a store was before them
        _insert(conn, sales)
        conn.commit()
        m003_sales_day_counts(sqlite_utils.Database(conn))
        m013_history_kept(sqlite_utils.Database(conn))
        _check(conn)
        conn.close()


def test_the_seal_finds_voided_days_through_the_voids_index_not_a_walk_over_every_sale():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path), SYNC_MIGRATIONS)
        conn = connect(path)
        _insert(conn, [(DAYS[n % 2], "completed", False, None) for n in range(2000)])
        _apply(conn, [("void", 7), ("void", 1200)])  # no ANALYZE: a store never runs one
        plan = " ".join(str(r) for r in conn.execute("EXPLAIN QUERY PLAN " + sales_repo.VOIDED_SINCE, ("",)))
        assert "sales_voided_at" in plan, plan
        assert sales_repo.days_voided_since(conn, "") == set(DAYS)
        conn.close()
