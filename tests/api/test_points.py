"""Points: held after a sale, released when due, redeemed with the member's confirmation, expired, voided."""

from builders import enrol_body, sale_body

PHONE = "13800138000"  # confirmation: 8000


def member(api) -> str:
    return api.post("/api/v1/members", json=enrol_body(PHONE)).json()["member_id"]


def balance(api, mid: str) -> int:
    return api.get("/api/v1/members/lookup", params={"member_id": mid}).json()["points_balance"]


def maintain(api) -> dict:
    r = api.post("/api/v1/campaigns/maintenance", role="manager")
    assert r.status_code == 200
    return r.json()


def earn(api, clock, mid: str, qty: int = 5) -> int:
    """Buy beans, then let the hold pass: the points are released."""
    answer = api.post("/api/v1/sales", json=sale_body(("BEANS-250G", qty), member_id=mid))
    assert answer.status_code == 201, answer.text
    sale = answer.json()
    clock.advance(days=7)
    maintain(api)
    return sale["points_earned"]


def test_points_a_sale_earns_are_held_until_the_policy_days_pass(api, clock):
    mid = member(api)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=mid)).json()
    assert sale["points_earned"] == 56 and sale["points_pending_until"] is not None
    assert balance(api, mid) == 0
    clock.advance(days=6, hours=23)
    assert maintain(api)["points_released"] == 0
    clock.advance(hours=1)
    assert maintain(api)["points_released"] == 1
    assert balance(api, mid) == 56


def test_a_void_drops_held_points_without_touching_the_balance(api, clock):
    mid = member(api)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=mid)).json()
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "returned"})
    clock.advance(days=8)
    assert maintain(api)["points_released"] == 0 and balance(api, mid) == 0


def test_points_are_redeemed_as_a_discount_with_the_members_confirmation_and_given_back_on_void(api, clock):
    mid = member(api)
    earned = earn(api, clock, mid)
    assert balance(api, mid) == earned > 300
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=300,
                                                    member_confirmation="8000"))
    assert sale.status_code == 201, sale.text
    body = sale.json()
    assert body["total_fen"] == 2500 and body["points_redeemed"] == 300
    assert body["applied"][-1]["rule_id"] == "points"
    assert balance(api, mid) == earned - 300
    api.post(f"/api/v1/sales/{body['sale_id']}/void", json={"reason": "returned"})
    assert balance(api, mid) == earned


def test_a_redemption_without_the_members_confirmation_is_refused(api, clock):
    mid = member(api)
    earn(api, clock, mid)
    r = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=300,
                                                 member_confirmation="1234"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "member_confirmation"


def test_a_member_recognised_by_payment_alone_cannot_redeem_points(api):
    r = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), redeem_points=300, member_confirmation="8000",
                                                 payment={"method": "wechat_pay", "provider": "wechat",
                                                          "payer_id": "o6_payer"}))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "member_id"


def test_redeeming_more_than_the_balance_is_a_409_and_nothing_is_written(api, clock, store):
    mid = member(api)
    earned = earn(api, clock, mid)
    r = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=earned + 100,
                                                 member_confirmation="8000"))
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "redeem_points"
    assert balance(api, mid) == earned
    assert store.reader.conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 1


def test_points_worth_more_than_the_total_are_refused(api, clock):
    mid = member(api)
    earn(api, clock, mid, qty=30)
    r = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=2900,
                                                 member_confirmation="8000"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "redeem_points"


def test_points_expire_first_in_first_out_after_the_policy_days(api, clock):
    mid = member(api)
    earned = earn(api, clock, mid)
    latte = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=100,
                                                     member_confirmation="8000")).json()
    clock.advance(days=364)
    assert maintain(api)["points_expired"] == 0
    clock.advance(days=2)
    out = maintain(api)
    assert out["points_expired"] == earned - 100  # what was spent does not expire twice
    # the latte's points were released only at the sweep a year on: they are young and stay
    assert balance(api, mid) == latte["points_earned"]


def test_the_manager_sets_the_points_policy_and_sales_follow_it(api, clock):
    assert api.get("/api/v1/points-policy", role="manager").json()["pending_days"] == 7
    r = api.put("/api/v1/points-policy", json={"fen_per_point": 2, "min_redeem": 50, "pending_days": 0,
                                               "expire_days": 365}, role="manager")
    assert r.status_code == 200
    mid = member(api)
    sale = api.post("/api/v1/sales", json=sale_body(("BEANS-250G", 1), member_id=mid)).json()
    assert sale["points_pending_until"] is None and balance(api, mid) == sale["points_earned"] == 98
    paid = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=50,
                                                    member_confirmation="8000")).json()
    assert paid["total_fen"] == 2800 - 100


def test_a_bad_points_policy_is_refused_naming_the_field(api):
    r = api.put("/api/v1/points-policy", json={"fen_per_point": 0}, role="manager")
    assert r.status_code in (400, 422) and "fen_per_point" in r.text
    assert api.put("/api/v1/points-policy", json={}, role="lane").status_code == 403


def test_the_quote_previews_a_redemption_and_the_sale_with_confirmation_matches_it(api, clock):
    mid = member(api)
    earned = earn(api, clock, mid)
    q = api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1", "redeem_points": 300,
                                                  "lines": [{"sku": "LATTE", "qty": 1}], "member": {"member_id": mid}})
    assert q.status_code == 200 and q.json()["total_fen"] == 2500
    assert q.json()["applied"][-1] == {"rule_id": "points", "name_zh": "积分抵扣", "name_en": "Points",
                                       "amount_fen": 300}
    paid = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=300,
                                                    member_confirmation="8000",
                                                    payment={"method": "cash", "amount_fen": 2500}))
    assert paid.status_code == 201
    too_many = api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1",
                                                         "redeem_points": earned, "member": {"member_id": mid},
                                                         "lines": [{"sku": "LATTE", "qty": 1}]})
    assert too_many.status_code == 409 and too_many.json()["errors"][0]["field"] == "redeem_points"


def test_a_quote_for_nobody_cannot_preview_points(api):
    r = api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1", "redeem_points": 100,
                                                  "lines": [{"sku": "LATTE", "qty": 1}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "member"


def test_a_sweep_after_the_last_one_still_expires_old_points_given_back_by_a_void(api, store, clock):
    """Later sweeps look only at members with news since the last one: a void that gives back old,
    redeemed points is news, and those points expire at once; a sweep of every member finds nothing more."""
    mid = member(api)
    earned = earn(api, clock, mid)
    clock.advance(days=1)
    paid = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=mid, redeem_points=100,
                                                    member_confirmation="8000")).json()
    clock.advance(days=366)
    assert maintain(api)["points_expired"] == earned - 100  # the latte's points were released just now
    assert maintain(api)["points_expired"] == 0

    # a year on, past the lane's void window: the manager voids it
    assert api.post(f"/api/v1/sales/{paid['sale_id']}/void", json={"reason": "returned"},
                    role="manager").status_code == 200
    assert maintain(api)["points_expired"] > 0
    store.writer.call(lambda conn: conn.execute("DELETE FROM store_meta WHERE key = 'points.expiry_swept'"))
    assert maintain(api)["points_expired"] == 0  # every member with points checked: nothing was missed
