"""Pricing properties over random carts, and the member-day rule in store-local time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.errors import InvalidInput
from edge.domain.models import CartLine, MemberDayRule, PricingMember, Sku, Tier
from edge.domain.money import bps_of
from edge.domain.pricing import price_cart, resolve_lines

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
FRIDAY_NOON_SHANGHAI = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
THURSDAY_2330_SHANGHAI = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
FRIDAY_0030_SHANGHAI = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # still Thursday in UTC
FRIDAY_0400_SHANGHAI = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
SATURDAY_0030_SHANGHAI = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # still Friday's business day


def tiers_with(bps: int) -> dict[str, Tier]:
    return {"t": Tier(tier_id="t", name_zh="会员", name_en="Member", rank=0, discount_bps=bps)}


def friday(boost: int) -> list[MemberDayRule]:
    return [MemberDayRule(campaign_id="fri", name_zh="周五", name_en="Friday", weekdays=[5], boost_bps=boost)]


skus = st.builds(lambda i, price, eligible: Sku(sku=f"S{i}", name_zh="货", name_en="item", category="c",
                                                price_fen=price, member_discount=eligible),
                 st.integers(0, 50), st.integers(0, 10**7), st.booleans())
carts = st.lists(st.tuples(skus, st.integers(1, 999)), min_size=1, max_size=20)


@given(carts, st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from([TUESDAY, FRIDAY_NOON_SHANGHAI]))
def test_discounts_never_exceed_a_line_and_sum_to_the_order_discount(cart, tier_bps, boost, now):
    catalog = {s.sku: s for s, _ in cart}
    lines = [CartLine(s.sku, q, catalog[s.sku].price_fen) for s, q in cart]
    priced = price_cart(lines, catalog, PricingMember("m", "t"), tiers_with(tier_bps), friday(boost), now, SHANGHAI)
    for line in priced.lines:
        assert 0 <= line.discount_fen <= line.subtotal_fen
        assert line.total_fen == line.subtotal_fen - line.discount_fen >= 0
        assert line.discount_fen == sum(d.amount_fen for d in line.discounts)
        if not catalog[line.sku].member_discount:
            assert line.discount_fen == 0
    assert priced.discount_fen == sum(line.discount_fen for line in priced.lines)
    assert priced.discount_fen == sum(a.amount_fen for a in priced.applied)
    assert priced.total_fen == priced.subtotal_fen - priced.discount_fen >= 0


@given(carts, st.integers(0, 10_000))
def test_tier_discount_is_rounded_half_up_per_line(cart, tier_bps):
    catalog = {s.sku: s for s, _ in cart}
    lines = [CartLine(s.sku, q, catalog[s.sku].price_fen) for s, q in cart]
    priced = price_cart(lines, catalog, PricingMember("m", "t"), tiers_with(tier_bps), [], TUESDAY, SHANGHAI)
    for line in priced.lines:
        expected = bps_of(line.subtotal_fen, tier_bps) if catalog[line.sku].member_discount else 0
        assert line.discount_fen == expected


@given(carts)
def test_a_non_member_pays_the_subtotal(cart):
    catalog = {s.sku: s for s, _ in cart}
    lines = [CartLine(s.sku, q, catalog[s.sku].price_fen) for s, q in cart]
    priced = price_cart(lines, catalog, None, tiers_with(1000), friday(500), FRIDAY_NOON_SHANGHAI, SHANGHAI)
    assert priced.discount_fen == 0 and priced.total_fen == priced.subtotal_fen


LATTE = Sku(sku="LATTE", name_zh="拿铁", name_en="Latte", category="coffee", price_fen=2800)


@pytest.mark.parametrize(("now", "boosted"), [
    (TUESDAY, False),
    (FRIDAY_NOON_SHANGHAI, True),
    (THURSDAY_2330_SHANGHAI, False),
    (FRIDAY_0030_SHANGHAI, False),  # Friday's calendar date, but Thursday's business day (from 04:00)
    (FRIDAY_0400_SHANGHAI, True),  # Friday's business day in Shanghai though still Thursday in UTC
    (SATURDAY_0030_SHANGHAI, True),
])
def test_member_day_boost_follows_the_business_day_in_store_local_time(now, boosted):
    priced = price_cart([CartLine("LATTE", 1, 2800)], {"LATTE": LATTE}, PricingMember("m", "t"),
                        tiers_with(1000), friday(500), now, SHANGHAI)
    assert priced.discount_fen == (280 + 140 if boosted else 280)
    assert [a.rule_id for a in priced.applied] == (["tier:t", "member_day:fri"] if boosted else ["tier:t"])


def test_member_day_in_another_zone_reads_that_zones_weekday():
    # 2026-11-27 04:00 UTC is Friday noon in Shanghai but Thursday 20:00 in Los Angeles
    priced = price_cart([CartLine("LATTE", 1, 2800)], {"LATTE": LATTE}, PricingMember("m", "t"), tiers_with(0),
                        friday(500), FRIDAY_NOON_SHANGHAI, ZoneInfo("America/Los_Angeles"))
    assert priced.discount_fen == 0


def test_member_day_limited_to_some_tiers_skips_the_others():
    rule = [MemberDayRule(campaign_id="fri", name_zh="周五", name_en="Friday", weekdays=[5], boost_bps=500,
                          tiers=["gold"])]
    priced = price_cart([CartLine("LATTE", 1, 2800)], {"LATTE": LATTE}, PricingMember("m", "t"), tiers_with(0),
                        rule, FRIDAY_NOON_SHANGHAI, SHANGHAI)
    assert priced.discount_fen == 0


def test_unknown_skus_are_all_named_with_their_line():
    with pytest.raises(InvalidInput) as err:
        resolve_lines([("LATTE", 1, None), ("NOPE", 1, None), ("ALSO-NOPE", 2, None)], {"LATTE": LATTE})
    assert [e.field for e in err.value.errors] == ["lines[1].sku", "lines[2].sku"]


def test_a_price_override_replaces_the_catalog_price():
    assert resolve_lines([("LATTE", 2, 1000)], {"LATTE": LATTE}) == [CartLine("LATTE", 2, 1000)]
