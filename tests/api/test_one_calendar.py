"""Rules and reports read one calendar: the business day (04:00 by default), in store-local time."""

from datetime import UTC, datetime

import pytest

from builders import enrol_body, quote_body, sale_body

# Shanghai is UTC+8: 02:46 local on Saturday 28 Nov 2026 is 18:46 UTC on Friday 27 Nov
SATURDAY_0246_SHANGHAI = datetime(2026, 11, 27, 18, 46, tzinfo=UTC)
FRIDAY_0246_SHANGHAI = datetime(2026, 11, 26, 18, 46, tzinfo=UTC)
MEMBER_DAY_RULE = "member-day-friday"


def applied_rules(body: dict) -> set[str]:
    return {d["rule_id"] for d in body["applied"]}


@pytest.mark.parametrize(("moment", "day", "member_day"), [
    (SATURDAY_0246_SHANGHAI, "2026-11-27", True),   # Friday's night: the member day still runs
    (FRIDAY_0246_SHANGHAI, "2026-11-26", False),    # Thursday's night: not yet
])
def test_a_night_sale_gets_the_member_day_price_of_the_business_day_it_is_reported_in(
        api, clock, moment, day, member_day):
    clock.set(moment)
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    quote = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 2), member={"member_id": member_id}))
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member_id)).json()
    assert sale["receipt"]["business_day"] == day
    assert (f"member_day:{MEMBER_DAY_RULE}" in applied_rules(sale)) is member_day
    assert sale["total_fen"] == (5320 if member_day else 5600)  # 5% member-day boost on the regular tier
    assert quote.json()["total_fen"] == sale["total_fen"]
    report = api.get("/api/v1/reports/join-rate", params={"from": day, "to": day, "by": "day"}, role="manager")
    assert [row["key"] for row in report.json()["rows"]] == [day]
