"""A lane reads a sale (to reprint, or to check after a timeout) and voids its own sales within the
store's void window; later voids, and other lanes' sales, need the manager key."""

from edge.services.keys import create_key

from builders import sale_body


def test_a_lane_and_the_manager_read_a_sale_as_recorded_and_an_unknown_one_is_404(api):
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), sale_id="s-read")).json()
    for role in ("lane", "manager"):
        r = api.get("/api/v1/sales/s-read", role=role)
        assert r.status_code == 200 and r.json() == sale
    assert sale["status"] == "completed" and sale["lines"][0]["qty"] == 2 and sale["receipt"]["store_id"]
    missing = api.get("/api/v1/sales/nope")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "sale_id"
    assert api.get("/api/v1/sales/s-read", role=None).status_code == 401
    api.post("/api/v1/sales/s-read/void", json={"reason": "customer left"})
    assert api.get("/api/v1/sales/s-read").json()["status"] == "voided"


def test_a_lane_voids_its_own_sale_within_the_window_and_needs_the_manager_after_it(api, clock):
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="s-in"))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="s-late"))
    clock.advance(minutes=30)
    assert api.post("/api/v1/sales/s-in/void", json={"reason": "wrong milk"}).status_code == 200
    clock.advance(seconds=1)
    late = api.post("/api/v1/sales/s-late/void", json={"reason": "wrong milk"})
    assert late.status_code == 403 and late.json()["errors"][0]["field"] == "sale_id"
    assert api.get("/api/v1/sales/s-late").json()["status"] == "completed"  # nothing given back
    assert api.post("/api/v1/sales/s-late/void", role="manager", json={"reason": "wrong milk"}).status_code == 200


def test_a_lane_cannot_void_another_lanes_sale_even_within_the_window(api, store, clock):
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="s-mine"))
    _, other = store.writer.call(lambda c: create_key(c, "lane", clock(), "L2"))
    r = api.client.post("/api/v1/sales/s-mine/void", json={"reason": "x"}, headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403
    assert api.post("/api/v1/sales/s-mine/void", json={"reason": "x"}).status_code == 200
