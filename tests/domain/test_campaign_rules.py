"""Campaign time rules and choices, with an injected clock in Asia/Shanghai and America/Los_Angeles."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from edge.domain.campaigns import (
    EXAMPLES,
    AmountOff,
    Campaign,
    Conditions,
    Customer,
    Flash,
    PercentOff,
    Scope,
    Stacking,
    check_campaign,
    conditions_hold,
    decode_campaign,
    expires_at,
)
from edge.domain.errors import InvalidInput
from edge.domain.models import CartLine, MemberDayRule, Sku, Tier
from edge.domain.pricing import Offer, price_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
MEMBER = Customer(member_id="m1", tier_id="regular", birthday="01-02", joined_on="2025-11-20")
CATALOG = {"CROISSANT": Sku(sku="CROISSANT", name_zh="牛角包", name_en="Croissant", category="pastry", price_fen=1500),
           "LATTE": Sku(sku="LATTE", name_zh="拿铁", name_en="Latte", category="coffee", price_fen=2800)}
TIERS = {"regular": Tier(tier_id="regular", name_zh="普通", name_en="Regular", rank=0)}


def campaign(**over) -> Campaign:
    base = dict(campaign_id="c1", kind="manual", name_zh="活动", name_en="Offer", benefit=PercentOff(1000))
    base.update(over)
    return Campaign(**base)


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize("tz", [SHANGHAI, LOS_ANGELES])
@pytest.mark.parametrize(("day", "hour", "minute", "holds"), [
    (26, 23, 59, False), (27, 0, 0, False), (27, 3, 59, False),  # Friday before 04:00: still Thursday
    (27, 4, 0, True), (27, 23, 59, True),
    (28, 2, 46, True), (28, 3, 59, True),  # Saturday night: still Friday's business day
    (28, 4, 0, False)])
def test_a_member_day_runs_from_the_business_day_start_of_its_weekday_to_the_next(tz, day, hour, minute, holds):
    friday = campaign(kind="member_day", conditions=Conditions(weekdays=[5]))
    moment = at(tz, 2026, 11, day, hour, minute).astimezone(UTC).astimezone(tz)
    assert conditions_hold(friday, MEMBER, moment, None, time(4, 0)) is holds


@pytest.mark.parametrize(("start", "holds"), [(time(0, 0), False), (time(4, 0), True), (time(6, 0), True)])
def test_the_business_day_start_is_the_stores_own(start, holds):
    friday = campaign(kind="member_day", conditions=Conditions(weekdays=[5]))
    assert conditions_hold(friday, MEMBER, at(SHANGHAI, 2026, 11, 28, 2, 46), None, start) is holds


def test_the_same_instant_is_friday_in_shanghai_and_thursday_in_los_angeles():
    friday = campaign(kind="member_day", conditions=Conditions(weekdays=[5]))
    instant = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 Friday in Shanghai, 18:00 Thursday in LA
    assert conditions_hold(friday, MEMBER, instant.astimezone(SHANGHAI), None)
    assert not conditions_hold(friday, MEMBER, instant.astimezone(LOS_ANGELES), None)


@pytest.mark.parametrize("tz", [SHANGHAI, LOS_ANGELES])
@pytest.mark.parametrize(("hour", "holds"), [(21, False), (22, True), (23, True), (1, True), (2, False), (12, False)])
def test_a_time_window_that_crosses_midnight_holds_on_both_sides_of_it(tz, hour, holds):
    late = campaign(conditions=Conditions(time_from="22:00", time_to="02:00"))
    assert conditions_hold(late, MEMBER, at(tz, 2026, 11, 24, hour, 0), None) is holds


@pytest.mark.parametrize("tz", [SHANGHAI, LOS_ANGELES])
@pytest.mark.parametrize(("day", "hour", "holds"), [(24, 15, False), (24, 16, True), (24, 23, True), (25, 1, True),
                                                    (25, 3, True), (25, 4, False), (25, 10, False)])
def test_a_flash_offer_runs_from_its_start_until_the_business_day_closes(tz, day, hour, holds):
    flash = campaign(kind="flash_inventory", applies_to="unit", scope=Scope(skus=["CROISSANT"]),
                     flash=Flash(start="16:00", threshold=10))
    assert conditions_hold(flash, Customer(), at(tz, 2026, 11, day, hour, 0), None, time(4, 0)) is holds


def test_a_date_range_is_read_in_local_business_days_not_utc_dates():
    ends = campaign(conditions=Conditions(date_from="2026-11-01", date_to="2026-11-30"))
    last_minute = datetime(2026, 11, 30, 19, 59, tzinfo=UTC)  # 03:59 on 1 Dec in Shanghai: still the 30th
    assert conditions_hold(ends, MEMBER, last_minute.astimezone(SHANGHAI), None)
    assert not conditions_hold(ends, MEMBER, (last_minute + timedelta(minutes=1)).astimezone(SHANGHAI), None)
    assert conditions_hold(ends, MEMBER, (last_minute + timedelta(minutes=1)).astimezone(LOS_ANGELES), None)
    first = datetime(2026, 10, 31, 19, 59, tzinfo=UTC)  # 03:59 on 1 Nov in Shanghai: still 31 Oct
    assert not conditions_hold(ends, MEMBER, first.astimezone(SHANGHAI), None)
    assert conditions_hold(ends, MEMBER, (first + timedelta(minutes=1)).astimezone(SHANGHAI), None)


def test_a_campaign_with_a_last_day_expires_when_that_business_day_closes():
    ends = campaign(conditions=Conditions(date_to="2026-11-30"))
    assert expires_at(ends, SHANGHAI, time(4, 0)) == at(SHANGHAI, 2026, 12, 1, 4, 0)
    assert expires_at(campaign(), SHANGHAI, time(4, 0)) is None


def test_a_birthday_window_reaches_across_the_new_year():
    birthday = campaign(kind="birthday", conditions=Conditions(window_days=3))
    assert conditions_hold(birthday, MEMBER, at(SHANGHAI, 2026, 12, 31, 10, 0), None)
    assert not conditions_hold(birthday, MEMBER, at(SHANGHAI, 2026, 12, 29, 10, 0), None)
    assert not conditions_hold(birthday, Customer(), at(SHANGHAI, 2027, 1, 2, 10, 0), None)


def test_a_birthday_on_the_day_itself_counts_the_night_after_it_until_the_business_day_closes():
    birthday = campaign(kind="birthday", conditions=Conditions(window_days=0))
    assert conditions_hold(birthday, MEMBER, at(SHANGHAI, 2027, 1, 3, 2, 30), None, time(4, 0))  # 2 Jan's night
    assert not conditions_hold(birthday, MEMBER, at(SHANGHAI, 2027, 1, 2, 2, 30), None, time(4, 0))  # 1 Jan's
    assert conditions_hold(birthday, MEMBER, at(SHANGHAI, 2027, 1, 2, 4, 0), None, time(4, 0))


def test_an_anniversary_applies_from_the_first_year_after_joining():
    anniversary = campaign(kind="anniversary", conditions=Conditions(window_days=7))
    assert not conditions_hold(anniversary, MEMBER, at(SHANGHAI, 2025, 11, 24, 10, 0), None)
    assert conditions_hold(anniversary, MEMBER, at(SHANGHAI, 2026, 11, 24, 10, 0), None)
    assert not conditions_hold(anniversary, MEMBER, at(SHANGHAI, 2026, 12, 24, 10, 0), None)


def test_a_store_scoped_campaign_applies_only_in_its_stores():
    mine = campaign(scope=Scope(store_ids=["s1"]))
    assert conditions_hold(mine, MEMBER, at(SHANGHAI, 2026, 11, 24, 10, 0), "s1")
    assert not conditions_hold(mine, MEMBER, at(SHANGHAI, 2026, 11, 24, 10, 0), "s2")


def price(lines, offers, surplus=None, now=None):
    return price_order(lines, CATALOG, MEMBER, TIERS, offers, surplus or {},
                       now or at(SHANGHAI, 2026, 11, 24, 17, 0), SHANGHAI)


def test_flash_units_stop_at_the_surplus_and_the_rest_pay_list_price():
    flash = campaign(kind="flash_inventory", applies_to="unit", benefit=PercentOff(5000),
                     scope=Scope(skus=["CROISSANT"]), flash=Flash(start="16:00", threshold=10))
    priced = price([CartLine("CROISSANT", 5, 1500)], [Offer(offer_id="c1", campaign=flash)], {"CROISSANT": 3})
    assert priced.cart.total_fen == 3 * 750 + 2 * 1500
    assert [(u.campaign_id, u.units) for u in priced.uses] == [("c1", 3)]


def test_of_two_exclusive_offers_saving_the_same_the_one_expiring_first_is_chosen_and_explained():
    now = at(SHANGHAI, 2026, 11, 24, 17, 0)
    a = Offer(offer_id="coupon:A", campaign=campaign(campaign_id="ca", benefit=AmountOff(500)), code="A",
              expires_at=now + timedelta(days=9))
    b = Offer(offer_id="coupon:B", campaign=campaign(campaign_id="cb", benefit=AmountOff(500)), code="B",
              expires_at=now + timedelta(days=2))
    priced = price([CartLine("LATTE", 1, 2800)], [a, b])
    assert [u.code for u in priced.uses] == ["B"]
    assert priced.cart.total_fen == 2300
    passed = [n for n in priced.notes if not n.applied]
    assert [n.offer_id for n in passed] == ["coupon:A"] and "coupon:B" in passed[0].reason


def test_the_better_of_two_exclusive_offers_wins_even_when_it_expires_later():
    group = Stacking(exclusive_group="pastry")
    small = Offer(offer_id="s", campaign=campaign(campaign_id="s", applies_to="unit", benefit=PercentOff(1000),
                                                  stacking=group), expires_at=at(SHANGHAI, 2026, 11, 25, 0, 0))
    big = Offer(offer_id="b", campaign=campaign(campaign_id="b", applies_to="unit", benefit=AmountOff(400),
                                                stacking=group))
    priced = price([CartLine("CROISSANT", 2, 1500)], [small, big])
    assert priced.cart.discount_fen == 800 and [u.offer_id for u in priced.uses] == ["b"]


def test_an_order_coupon_below_its_minimum_spend_does_not_apply():
    coupon = Offer(offer_id="o", campaign=campaign(benefit=AmountOff(500), conditions=Conditions(min_spend_fen=3000)))
    assert price([CartLine("LATTE", 1, 2800)], [coupon]).cart.discount_fen == 0
    assert price([CartLine("LATTE", 2, 2800)], [coupon]).cart.discount_fen == 500


@pytest.mark.parametrize("kind", ["manual", "member_day"])
def test_a_minimum_spend_is_met_by_a_cart_that_comes_to_exactly_it(kind):
    # the engine's fit and the member-day shortcut share the rule: one fen short is not enough
    offer = Offer(offer_id="o", campaign=campaign(kind=kind, benefit=PercentOff(1000),
                                                  conditions=Conditions(min_spend_fen=5600)))
    assert price([CartLine("LATTE", 2, 2800)], [offer]).cart.discount_fen == 560
    assert price([CartLine("LATTE", 2, 2800), CartLine("CROISSANT", 1, 1)], [offer]).cart.discount_fen == 560
    assert price([CartLine("LATTE", 1, 2800), CartLine("LATTE", 1, 2799)], [offer]).cart.discount_fen == 0


def test_an_order_discount_is_spread_over_lines_by_largest_remainder():
    coupon = Offer(offer_id="o", campaign=campaign(benefit=AmountOff(100)))
    priced = price([CartLine("LATTE", 1, 2800), CartLine("CROISSANT", 1, 1500), CartLine("CROISSANT", 1, 1)], [coupon])
    assert [x.discount_fen for x in priced.cart.lines] == [65, 35, 0]


def test_a_spine_member_day_row_is_read_as_a_member_day_campaign():
    rule = MemberDayRule(campaign_id="md", name_zh="会员日", name_en="Member day", weekdays=[5], boost_bps=500)
    c = decode_campaign(msgspec.json.encode(rule))
    assert c.kind == "member_day" and c.benefit == PercentOff(500) and c.conditions.weekdays == [5]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_documented_example_decodes_and_passes_the_checks(kind):
    c = msgspec.convert(EXAMPLES[kind], Campaign)
    check_campaign(c)
    assert c.kind == kind


def test_a_flash_campaign_without_skus_or_a_flash_block_names_both_fields():
    bad = campaign(kind="flash_inventory", applies_to="unit")
    with pytest.raises(InvalidInput) as e:
        check_campaign(bad)
    assert {f.field for f in e.value.errors} == {"flash", "scope.skus"}


def test_when_one_flash_offers_cap_runs_out_the_rest_of_the_line_takes_the_next_flash_offer():
    def flash(cid: str, remaining: int | None) -> Offer:
        c = campaign(campaign_id=cid, kind="flash_inventory", applies_to="unit", benefit=PercentOff(5000),
                     scope=Scope(skus=["CROISSANT"]), flash=Flash(start="16:00", threshold=0))
        return Offer(offer_id=cid, campaign=c, remaining=remaining)

    priced = price_order([CartLine("CROISSANT", 3, 1500)], CATALOG, Customer(), TIERS,
                         [flash("a", 1), flash("b", None)], {"CROISSANT": 3}, at(SHANGHAI, 2026, 11, 24, 17, 0),
                         SHANGHAI)
    assert priced.cart.total_fen == 3 * 750
    assert sorted((u.offer_id, u.units) for u in priced.uses) == [("a", 1), ("b", 2)]
