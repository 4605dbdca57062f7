"""Property: the pitched total is the total after joining, over generated carts, tiers and campaigns.

Each example reshapes the real store (entry tier, local campaigns, the checkout welcome offer, the
day), quotes a cart for a non-member, lets that customer join during the checkout (through the
display's QR or at the till), and re-quotes: the re-quote's total must be the pitched one, and the
pitch's saving exactly the difference.
"""

import itertools
from datetime import UTC, datetime

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from join_helpers import join_by_form

from edge.domain.campaigns import (
    AmountOff,
    Campaign,
    Conditions,
    CouponInstances,
    Limits,
    PercentOff,
    PointsMultiplier,
    Scope,
    Stacking,
)
from edge.domain.models import Tier
from edge.pages.ratelimit import RateLimits, TokenBucket
from edge.schemas import JoinOffersIn
from edge.services import join_offers
from edge.services.runtime import bump_reference
from edge.store import catalog as catalog_repo

from builders import enrol_body, quote_body

MOMENTS = [datetime(2026, 11, 24, 2, 0, tzinfo=UTC),  # Tuesday 10:00 in Shanghai
           datetime(2026, 11, 27, 2, 0, tzinfo=UTC),  # Friday 10:00: the demo's member day
           datetime(2026, 11, 27, 18, 46, tzinfo=UTC)]  # Saturday 02:46: still Friday's business day
SKUS = ["AMERICANO", "LATTE", "FLAT-WHITE", "LEMON-TEA", "SANDWICH", "GIFT-CARD-100"]
_phones = itertools.count(13000000000)


@st.composite
def campaign_st(draw, n: int) -> Campaign:
    kind = draw(st.sampled_from(["manual", "manual", "member_day"]))
    members_only = draw(st.booleans())
    if kind == "member_day":
        return Campaign(campaign_id=f"p{n}", kind="member_day", name_zh=f"会员日{n}", name_en=f"Day {n}",
                        benefit=PercentOff(draw(st.integers(100, 2000))),
                        conditions=Conditions(weekdays=draw(st.sampled_from([[2], [5], [2, 5], [6]])),
                                              members_only=True))
    applies_to = draw(st.sampled_from(["order", "unit"]))
    benefit = draw(st.one_of(st.builds(PercentOff, st.integers(100, 3000)),
                             st.builds(AmountOff, st.integers(50, 1500))))
    benefit = draw(st.sampled_from([benefit, benefit, PointsMultiplier(200)]))
    return Campaign(
        campaign_id=f"p{n}", kind="manual", name_zh=f"活动{n}", name_en=f"Offer {n}", benefit=benefit,
        applies_to=applies_to,
        scope=draw(st.sampled_from([Scope(), Scope(categories=["coffee"]), Scope(skus=["SANDWICH", "LATTE"])])),
        conditions=Conditions(min_spend_fen=draw(st.sampled_from([0, 0, 2500, 6000])), members_only=members_only,
                              tiers=draw(st.sampled_from([None, None, ["regular"], ["gold"]]))),
        limits=Limits(per_member=draw(st.sampled_from([None, None, 1]))),
        stacking=Stacking(exclusive_group=draw(st.sampled_from([None, None, "g"])),
                          stackable=draw(st.booleans()), priority=draw(st.integers(-1, 1))))


@st.composite
def welcome_st(draw) -> Campaign | None:
    if draw(st.booleans()):
        return None
    return Campaign(campaign_id="pw", kind="welcome", name_zh="新人券", name_en="Welcome",
                    benefit=draw(st.one_of(st.builds(AmountOff, st.integers(100, 1000)),
                                           st.builds(PercentOff, st.integers(500, 2000)))),
                    conditions=Conditions(min_spend_fen=draw(st.sampled_from([0, 2000, 5000]))),
                    issuance=CouponInstances(valid_days=14), limits=Limits(per_member=1),
                    stacking=Stacking(stackable=draw(st.booleans())))


scenario = st.fixed_dictionaries({
    "entry_bps": st.sampled_from([0, 0, 300, 1000]),
    "campaigns": st.integers(0, 4).flatmap(lambda k: st.tuples(*(campaign_st(i) for i in range(k)))),
    "welcome": welcome_st(),
    "moment": st.sampled_from(MOMENTS),
    "lines": st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=4),
    "by_qr": st.booleans(),
})


def reshape(store, case) -> None:  # noqa: ANN001
    def command(conn) -> None:  # noqa: ANN001
        now = store.clock()
        catalog_repo.upsert_tiers(conn, [Tier(tier_id="regular", name_zh="普通会员", name_en="Regular", rank=0,
                                              discount_bps=case["entry_bps"])])
        conn.execute("DELETE FROM campaigns WHERE origin = 'local' AND campaign_id NOT IN "
                     "(SELECT campaign_id FROM coupons)")
        for c in [*case["campaigns"], *([case["welcome"]] if case["welcome"] else [])]:
            catalog_repo.upsert_campaign(conn, c.campaign_id, c.kind, msgspec.json.encode(c), "local", now)
        join_offers.set_in(conn, JoinOffersIn(checkout_welcome_campaign_id="pw" if case["welcome"] else None))
        bump_reference(conn)

    store.writer.call(command)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=scenario)
def test_the_pitched_total_is_the_total_after_joining(api, store, clock, case):
    clock.set(case["moment"])
    # one client joins many times over the examples: the per-address limit is not what is tested here
    api.client.app.state.rate_limits = RateLimits(address=TokenBucket(capacity=10**6, per_second=10**6))
    reshape(store, case)
    pairs = case["lines"]
    before = api.post("/api/v1/checkouts/quote", json=quote_body(*pairs))
    assert before.status_code == 200, before.text
    first = before.json()
    pitch = first["join"]
    phone = str(next(_phones))
    if case["by_qr"]:
        assert join_by_form(api.client, pitch["url"], phone).status_code == 303
        member = {}
    else:
        enrolled = api.post("/api/v1/members", json=enrol_body(phone, checkout_id=first["checkout_id"]))
        member = {"member": {"member_id": enrolled.json()["member_id"]}}
    after = api.post("/api/v1/checkouts/quote", json=quote_body(*pairs, checkout_id=first["checkout_id"], **member))
    after_body = after.json()
    assert after_body["member"] is not None
    assert after_body["total_fen"] == pitch["total_if_joined_fen"]
    assert pitch["saving_fen"] == max(0, first["total_fen"] - after_body["total_fen"])
    assert (pitch["saving_fen"] > 0) == ("省" in pitch["pitch_zh"])
