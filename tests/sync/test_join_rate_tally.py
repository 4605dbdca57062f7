"""The seal tallies a day's join rate in SQL; it must say exactly what the KPI's definition says."""

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.store import sales as sales_repo
from edge.store.connection import connect, open_database
from edge.store.schema import migrate
from sync.join_rate_daily import counts_of_day, daily_counts

DAYS = ["2026-11-22", "2026-11-23"]
sale_st = st.tuples(st.sampled_from(DAYS), st.sampled_from(["completed", "completed", "voided"]), st.booleans(),
                    st.sampled_from([None, None, "cashier", "checkout_qr", "receipt_qr"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(sale_st, max_size=40))
def test_the_sql_tally_equals_the_definition_over_the_days_sales(sales):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path))
        conn = connect(path)
        conn.executemany(
            "INSERT INTO sales (sale_id, request_hash, status, lane_id, cashier_id, subtotal_fen, discount_fen, "
            "total_fen, points_earned, payment_method, created_at, business_day, nonmember_at_start, joined_source, "
            "response) VALUES (?, 'h', ?, 'L1', 'C1', 100, 0, 100, 0, 'cash', 'x', ?, ?, ?, x'00')",
            [(f"s{n}", status, day, nonmember, source) for n, (day, status, nonmember, source) in enumerate(sales)])
        for day in DAYS:
            assert counts_of_day(conn, day) == daily_counts(day, sales_repo.sale_facts(conn, day, day))
        conn.close()
