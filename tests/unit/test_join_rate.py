"""The join-rate definition: who counts in the denominator and the numerator, and on which day."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from edge.domain.join_rate import JoinFacts, SaleFacts, business_day, classify_sale, join_rate

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("utc", "day"), [
    (datetime(2026, 11, 24, 2, 0, tzinfo=UTC), "2026-11-24"),    # 10:00 local
    (datetime(2026, 11, 24, 17, 30, tzinfo=UTC), "2026-11-24"),  # 01:30 local next day: still the 24th
    (datetime(2026, 11, 24, 20, 0, tzinfo=UTC), "2026-11-25"),   # 04:00 local: the 25th begins
    (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), "2026-11-24"),  # 23:59 local
])
def test_business_day_starts_at_four_in_the_morning_local_time(utc, day):
    assert business_day(utc, SHANGHAI, time(4, 0)).isoformat() == day


def test_a_sale_without_a_member_is_a_non_member_sale_without_a_join():
    assert classify_sale("s1", "c1", None, None) == (True, None)


def test_a_member_who_joined_in_this_checkout_counts_as_a_join_with_their_source():
    join = JoinFacts("checkout_qr", "c1", None)
    assert classify_sale("s1", "c1", "m1", join) == (True, "checkout_qr")


def test_a_member_who_joined_in_another_checkout_was_already_a_member():
    assert classify_sale("s1", "c2", "m1", JoinFacts("cashier", "c1", None)) == (False, None)
    assert classify_sale("s1", None, "m1", JoinFacts("cashier", None, None)) == (False, None)


def test_a_receipt_join_for_this_sale_counts_as_a_join():
    assert classify_sale("s1", None, "m1", JoinFacts("receipt", None, "s1")) == (True, "receipt")


def facts(day="2026-11-24", lane="L1", cashier="C1", nonmember=True, joined=None) -> SaleFacts:
    return SaleFacts(business_day=day, lane_id=lane, cashier_id=cashier, nonmember_at_start=nonmember,
                     joined_source=joined)


def test_join_rate_by_lane_counts_joins_over_non_member_sales():
    sales = [facts(joined="cashier"), facts(), facts(nonmember=False), facts(lane="L2"), facts(lane="L2"),
             facts(lane="L2", joined="checkout_qr"), facts(lane="L2")]
    rows = {r.key: r for r in join_rate(sales, "lane")}
    assert (rows["L1"].transactions, rows["L1"].nonmember_transactions, rows["L1"].joins) == (3, 2, 1)
    assert rows["L1"].join_rate_bps == 5000
    assert rows["L2"].join_rate_bps == 2500


def test_join_rate_by_source_shares_one_denominator_so_rates_add_up():
    sales = [facts(joined="cashier"), facts(joined="checkout_qr"), facts(joined="checkout_qr"), facts()]
    rows = {r.key: r for r in join_rate(sales, "source")}
    assert rows["cashier"].join_rate_bps == 2500 and rows["checkout_qr"].join_rate_bps == 5000
    assert all(r.nonmember_transactions == 4 for r in rows.values())


def test_a_day_with_no_non_member_sales_has_a_zero_rate_not_an_error():
    assert join_rate([facts(nonmember=False)], "day")[0].join_rate_bps == 0
