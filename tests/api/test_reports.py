"""The manager's join rate, counted from real sales by day, lane, cashier and source."""

from datetime import UTC, datetime

from builders import enrol_body, sale_body


def test_join_rate_counts_cashier_enrolments_made_during_the_checkout(api, clock):
    # L1: 3 non-member checkouts, one customer enrols mid-checkout; L2: a returning member, a non-member
    member = api.post("/api/v1/members", json=enrol_body("13800138000", checkout_id="co-1")).json()["member_id"]
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-1", member_id=member))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-2"))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-3", cashier_id="C2"))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), checkout_id="co-4", lane_id="L2", member_id=member))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), lane_id="L2"))
    voided = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), lane_id="L2")).json()["sale_id"]
    api.post(f"/api/v1/sales/{voided}/void", json={"reason": "mistake"})

    by_lane = api.get("/api/v1/reports/join-rate", role="manager", params={"by": "lane"}).json()
    rows = {r["key"]: r for r in by_lane["rows"]}
    assert (rows["L1"]["transactions"], rows["L1"]["nonmember_transactions"], rows["L1"]["joins"]) == (3, 3, 1)
    assert rows["L1"]["join_rate_bps"] == 3333
    assert (rows["L2"]["transactions"], rows["L2"]["nonmember_transactions"], rows["L2"]["joins"]) == (2, 1, 0)
    assert by_lane["total"] == {"key": "total", "transactions": 5, "nonmember_transactions": 4, "joins": 1,
                                "join_rate_bps": 2500}
    assert "not a member when the checkout started" in by_lane["definition"]

    by_source = api.get("/api/v1/reports/join-rate", role="manager", params={"by": "source"}).json()
    assert [(r["key"], r["joins"], r["join_rate_bps"]) for r in by_source["rows"]] == [("cashier", 1, 2500)]
    by_cashier = {r["key"]: r for r in api.get("/api/v1/reports/join-rate", role="manager",
                                                params={"by": "cashier"}).json()["rows"]}
    assert by_cashier["C2"]["nonmember_transactions"] == 1 and by_cashier["C2"]["joins"] == 0


def test_sales_after_midnight_count_on_the_previous_business_day(api, clock):
    clock.set(datetime(2026, 11, 24, 17, 30, tzinfo=UTC))  # 01:30 on the 25th in Shanghai
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1)))
    clock.set(datetime(2026, 11, 24, 20, 30, tzinfo=UTC))  # 04:30 on the 25th
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1)))
    report = api.get("/api/v1/reports/join-rate", role="manager",
                     params={"from": "2026-11-24", "to": "2026-11-25", "by": "day"}).json()
    assert [(r["key"], r["transactions"]) for r in report["rows"]] == [("2026-11-24", 1), ("2026-11-25", 1)]
