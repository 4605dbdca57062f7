"""The manager's segment report over real sales and a moving clock."""

from datetime import UTC, datetime, timedelta

from edge.domain.segments import segment_of

from builders import enrol_body, sale_body

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_segments_follow_orders_and_join_time():
    old = NOW - timedelta(days=200)
    assert segment_of(NOW - timedelta(days=2), 4, NOW, NOW) == "loyal"
    assert segment_of(NOW - timedelta(days=2), 0, None, NOW) == "new"
    assert segment_of(old, 3, NOW - timedelta(days=30), NOW) == "active"
    assert segment_of(old, 0, NOW - timedelta(days=31), NOW) == "at_risk"
    assert segment_of(old, 0, NOW - timedelta(days=91), NOW) == "dormant"
    assert segment_of(old, 0, None, NOW) == "dormant"


def by_segment(api) -> dict[str, dict]:
    r = api.get("/api/v1/reports/segments", role="manager")
    assert r.status_code == 200
    return {s["segment"]: s for s in r.json()["segments"]}


def test_the_report_counts_and_lists_members_per_segment(api, clock):
    ids = {name: api.post("/api/v1/members", json=enrol_body(phone)).json()["member_id"]
           for name, phone in (("loyal", "13800138001"), ("lapsed", "13800138002"), ("quiet", "13800138003"))}
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=ids["lapsed"]))
    clock.advance(days=40)
    for _ in range(4):
        api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=ids["loyal"]))
        clock.advance(days=1)
    fresh = api.post("/api/v1/members", json=enrol_body("13800138004")).json()["member_id"]
    report = by_segment(api)
    assert {k: v["count"] for k, v in report.items()} == {"loyal": 1, "new": 1, "active": 0, "at_risk": 1,
                                                          "dormant": 1}
    assert [m["member_id"] for m in report["loyal"]["members"]] == [ids["loyal"]]
    assert report["loyal"]["members"][0]["orders_30d"] == 4
    assert [m["member_id"] for m in report["new"]["members"]] == [fresh]
    assert [m["member_id"] for m in report["at_risk"]["members"]] == [ids["lapsed"]]
    assert [m["member_id"] for m in report["dormant"]["members"]] == [ids["quiet"]]
    assert report["dormant"]["members"][0]["phone_masked"] == "138****8003"


def test_a_lane_cannot_read_the_segment_report(api):
    assert api.get("/api/v1/reports/segments", role="lane").status_code == 403
