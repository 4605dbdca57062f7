"""Referral: a member's code, enrolment with it, and coupons for both on the referee's first sale."""

import pytest

from edge.domain.referral import member_id_of, referral_code

from builders import enrol_body, sale_body


def enrol(api, phone: str, **over) -> str:
    r = api.post("/api/v1/members", json=enrol_body(phone, **over))
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


def code_of(api, member_id: str) -> str:
    return api.get(f"/api/v1/members/{member_id}/referral-code").json()["referral_code"]


def referral_coupons(api, member_id: str) -> list[dict]:
    return [c for c in api.get(f"/api/v1/members/{member_id}/coupons").json() if c["campaign_id"] == "referral-10"]


def test_a_referral_code_names_its_member_and_forgives_case():
    mid = "01936b2e-7c3a-7def-8123-456789abcdef"
    code = referral_code(mid)
    assert member_id_of(code) == mid and member_id_of(code.lower()) == mid
    assert member_id_of("R123") is None and member_id_of("X" + code[1:]) is None


def test_the_referees_first_sale_gives_both_members_a_coupon_once(api, store):
    referrer = enrol(api, "13800138000")
    referee = enrol(api, "13900139000", referral_code=code_of(api, referrer))
    assert store.reader.conn.execute("SELECT referrer_id FROM members WHERE member_id = ?",
                                     (referee,)).fetchone()[0] == referrer
    assert referral_coupons(api, referrer) == [] and referral_coupons(api, referee) == []
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=referee))
    assert len(referral_coupons(api, referrer)) == 1 and len(referral_coupons(api, referee)) == 1
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=referee))
    assert len(referral_coupons(api, referrer)) == 1 and len(referral_coupons(api, referee)) == 1


def test_an_unknown_referral_code_is_refused_naming_the_field(api):
    r = api.post("/api/v1/members", json=enrol_body("13800138000", referral_code="R" + "0" * 26))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "referral_code"


def test_a_referrer_earns_at_most_the_campaigns_per_member_cap_and_referees_still_get_theirs(api):
    referrer = enrol(api, "13800138000")
    code = code_of(api, referrer)
    referees = [enrol(api, f"1390013900{n}", referral_code=code) for n in range(6)]
    for referee in referees:
        api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=referee))
    assert len(referral_coupons(api, referrer)) == 5  # referral-10 allows 5 per member
    assert all(len(referral_coupons(api, r)) == 1 for r in referees)


@pytest.mark.parametrize("shape", ["self", "loop"])
def test_self_referral_and_referral_loops_reward_nobody(api, store, shape):
    a = enrol(api, "13800138000")
    b = enrol(api, "13900139000", referral_code=code_of(api, a))
    # the join page may write referrer_id directly; the reward rules must hold whatever it wrote
    if shape == "self":
        store.writer.call(lambda c: c.execute("UPDATE members SET referrer_id = member_id WHERE member_id = ?", (b,)))
    else:
        store.writer.call(lambda c: c.execute("UPDATE members SET referrer_id = ? WHERE member_id = ?", (b, a)))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=b))
    assert referral_coupons(api, a) == [] and referral_coupons(api, b) == []


def test_the_referral_code_of_an_unknown_member_is_a_404(api):
    r = api.get("/api/v1/members/not-a-member/referral-code")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "member_id"


def test_voiding_the_first_sale_revokes_unused_referral_coupons_and_the_next_sale_rewards_again(api, store):
    referrer = enrol(api, "13800138000")
    referee = enrol(api, "13900139000", referral_code=code_of(api, referrer))
    first = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=referee)).json()
    assert len(referral_coupons(api, referrer)) == 1
    api.post(f"/api/v1/sales/{first['sale_id']}/void", json={"reason": "returned"})
    assert referral_coupons(api, referrer) == [] and referral_coupons(api, referee) == []
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id=referee))
    assert len(referral_coupons(api, referrer)) == 1 and len(referral_coupons(api, referee)) == 1
    revoked = store.reader.conn.execute("SELECT count(*) FROM outbox WHERE type = 'referral.revoked'").fetchone()[0]
    assert revoked == 1
