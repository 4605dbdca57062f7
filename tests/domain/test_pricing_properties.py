"""Property tests of the campaign engine over random carts, members and campaign sets."""

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.campaigns import (
    AmountOff,
    Campaign,
    Conditions,
    Customer,
    FixedPrice,
    Flash,
    PercentOff,
    PointsMultiplier,
    Scope,
    Stacking,
    conditions_hold,
    may_reach,
)
from edge.domain.models import CartLine, Sku, Tier
from edge.domain.pricing import Offer, allowed, evaluate_set, price_order, price_with

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai: member day, flash hours
CATALOG = {
    "A": Sku(sku="A", name_zh="甲", name_en="A", category="coffee", price_fen=2200),
    "B": Sku(sku="B", name_zh="乙", name_en="B", category="coffee", price_fen=2800),
    "C": Sku(sku="C", name_zh="丙", name_en="C", category="pastry", price_fen=999, perishable=True),
    "D": Sku(sku="D", name_zh="丁", name_en="D", category="gift", price_fen=10000, member_discount=False),
}
TIERS = {
    "regular": Tier(tier_id="regular", name_zh="普通", name_en="Regular", rank=0),
    "gold": Tier(tier_id="gold", name_zh="金卡", name_en="Gold", rank=2, discount_bps=1000),
}

lines_st = st.lists(st.tuples(st.sampled_from(sorted(CATALOG)), st.integers(1, 4),
                              st.one_of(st.none(), st.integers(0, 5000))), min_size=1, max_size=4)
benefit_st = st.one_of(st.builds(PercentOff, st.integers(1, 10_000)), st.builds(AmountOff, st.integers(1, 6000)),
                       st.builds(FixedPrice, st.integers(0, 3000)), st.builds(PointsMultiplier, st.integers(100, 300)))
scope_st = st.one_of(st.just(Scope()), st.builds(Scope, skus=st.lists(st.sampled_from(sorted(CATALOG)), min_size=1,
                                                                          max_size=2, unique=True)),
                     st.builds(Scope, categories=st.lists(st.sampled_from(["coffee", "pastry", "gift"]), min_size=1,
                                                          max_size=2, unique=True)))


@st.composite
def offer_st(draw, n: int) -> Offer:
    kind = draw(st.sampled_from(["manual", "manual", "member_day", "flash_inventory", "birthday"]))
    benefit = draw(benefit_st)
    scope = draw(scope_st)
    applies_to = draw(st.sampled_from(["unit", "order", "order"]))
    flash = None
    if kind == "member_day":
        benefit = draw(st.builds(PercentOff, st.integers(1, 3000)))
        applies_to = "order"
    if kind == "flash_inventory":
        applies_to = "unit"
        benefit = draw(st.one_of(st.builds(PercentOff, st.integers(1, 9000)), st.builds(FixedPrice, st.integers(0, 2000))))
        scope = Scope(skus=draw(st.lists(st.sampled_from(sorted(CATALOG)), min_size=1, max_size=2, unique=True)))
        flash = Flash(start="16:00", threshold=0)
    if isinstance(benefit, FixedPrice):
        applies_to = "unit"
    campaign = Campaign(
        campaign_id=f"c{n}", kind=kind, name_zh=f"活动{n}", name_en=f"Campaign {n}", benefit=benefit,
        applies_to=applies_to, scope=scope, flash=flash,
        conditions=Conditions(min_spend_fen=draw(st.sampled_from([0, 0, 0, 3000, 8000])),
                              weekdays=draw(st.sampled_from([None, None, [5], [1]]))),
        stacking=Stacking(priority=draw(st.integers(-2, 2)),
                          exclusive_group=draw(st.sampled_from([None, None, None, "x", "x", "y"])),
                          stackable=draw(st.sampled_from([False, False, True]))))
    expires = draw(st.one_of(st.none(), st.integers(1, 5).map(lambda d: NOW + timedelta(days=d))))
    return Offer(offer_id=campaign.campaign_id, campaign=campaign, expires_at=expires,
                 remaining=draw(st.sampled_from([None, None, None, 0, 1, 3])))


@st.composite
def scenario(draw):
    raw = draw(lines_st)
    lines = [CartLine(sku, qty, CATALOG[sku].price_fen if p is None else p) for sku, qty, p in raw]
    member = draw(st.sampled_from([None, "regular", "gold"]))
    who = Customer(member_id="m1", tier_id=member, birthday="11-27") if member else Customer()
    offers = [draw(offer_st(n)) for n in range(draw(st.integers(0, 6)))]
    surplus = {sku: draw(st.integers(0, 5)) for sku in CATALOG}
    return lines, who, offers, surplus


def run(lines, who, offers, surplus):
    return price_order(lines, CATALOG, who, TIERS, offers, surplus, NOW, SHANGHAI, store_id="s1")


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_no_discount_exceeds_its_line_and_no_total_is_negative(case):
    priced = run(*case).cart
    for line in priced.lines:
        assert 0 <= line.discount_fen <= line.subtotal_fen
        assert line.total_fen == line.subtotal_fen - line.discount_fen >= 0
        assert sum(d.amount_fen for d in line.discounts) == line.discount_fen
        assert all(d.amount_fen > 0 for d in line.discounts)
    assert priced.total_fen >= 0
    assert priced.discount_fen == sum(x.discount_fen for x in priced.lines) == sum(d.amount_fen for d in priced.applied)


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_flash_units_never_exceed_the_surplus_of_their_sku(case):
    lines, who, offers, surplus = case
    priced = run(*case)
    by_offer = {o.offer_id: o for o in offers}
    sold: dict[str, int] = {}
    for line in priced.cart.lines:
        for d in line.discounts:
            o = by_offer.get(d.rule_id)
            if o is not None and o.campaign.flash is not None:
                sold[line.sku] = sold.get(line.sku, 0) + 1
    flash_units = sum(u.units for u in priced.uses)
    assert flash_units <= sum(surplus.values())
    for use in priced.uses:
        o = by_offer[use.offer_id]
        if o.remaining is not None:
            assert o.campaign.flash is None or use.units <= o.remaining


def assert_best_by_brute_force(case) -> None:
    """The engine's discount equals the best over every allowed subset of the offers that fit."""
    lines, who, offers, surplus = case
    priced = run(*case)
    cart, fitting = price_with(lines, CATALOG, who, TIERS, offers, surplus, NOW, SHANGHAI, store_id="s1")
    pricing = [o for o in fitting if not isinstance(o.campaign.benefit, PointsMultiplier)]
    best_by_brute_force = 0
    for size in range(len(pricing) + 1):
        for subset in combinations(pricing, size):
            if allowed(subset):
                best_by_brute_force = max(best_by_brute_force, evaluate_set(cart, subset))
    assert priced.cart.discount_fen == best_by_brute_force


@settings(max_examples=250, deadline=None)
@given(scenario())
def test_the_chosen_combination_is_at_least_as_good_as_every_allowed_combination(case):
    assert_best_by_brute_force(case)


@settings(max_examples=200, deadline=None)
@given(scenario(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_campaigns(case, rnd: random.Random):
    lines, who, offers, surplus = case
    shuffled = list(offers)
    rnd.shuffle(shuffled)
    assert run(lines, who, offers, surplus) == run(lines, who, shuffled, surplus)


@st.composite
def crowded(draw):
    """Many offers in many exclusive groups: more combinations than the engine tries exhaustively."""
    lines, who, _, surplus = draw(scenario())
    offers = []
    for n in range(draw(st.integers(8, 16))):
        o = draw(offer_st(n))
        group = Stacking(exclusive_group=f"g{n % 5}", priority=o.campaign.stacking.priority,
                         stackable=o.campaign.stacking.stackable)
        offers.append(msgspec.structs.replace(o, campaign=msgspec.structs.replace(o.campaign, stacking=group)))
    return lines, who, offers, surplus


@settings(max_examples=150, deadline=None)
@given(crowded(), st.randoms(use_true_random=False))
def test_with_crowded_groups_the_result_is_allowed_bounded_and_independent_of_order(case, rnd: random.Random):
    lines, who, offers, surplus = case
    priced = run(lines, who, offers, surplus)
    by_id = {o.offer_id: o for o in offers}
    assert allowed([by_id[u.offer_id] for u in priced.uses if u.offer_id in by_id
                    and not isinstance(by_id[u.offer_id].campaign.benefit, PointsMultiplier)])
    assert all(0 <= x.discount_fen <= x.subtotal_fen for x in priced.cart.lines)
    shuffled = list(offers)
    rnd.shuffle(shuffled)
    assert run(lines, who, shuffled, surplus) == priced


@st.composite
def contested(draw):
    """Carts where order offers compete for the one order slot, beside stackables and unit offers."""
    lines, who, _, surplus = draw(scenario())
    offers = []
    for n in range(draw(st.integers(2, 6))):
        order_level = draw(st.booleans()) or n < 2
        benefit = draw(st.one_of(st.builds(PercentOff, st.integers(1, 5000)), st.builds(AmountOff, st.integers(1, 6000))))
        campaign = Campaign(
            campaign_id=f"o{n}", kind="manual", name_zh=f"券{n}", name_en=f"Offer {n}", benefit=benefit,
            applies_to="order" if order_level else "unit", scope=draw(scope_st),
            conditions=Conditions(min_spend_fen=draw(st.sampled_from([0, 0, 2000, 6000]))),
            stacking=Stacking(stackable=draw(st.sampled_from([False, False, True])),
                              exclusive_group=draw(st.sampled_from([None, None, "x"])),
                              priority=draw(st.integers(-1, 1))))
        expires = draw(st.one_of(st.none(), st.integers(1, 3).map(lambda d: NOW + timedelta(days=d))))
        offers.append(Offer(offer_id=campaign.campaign_id, campaign=campaign, expires_at=expires))
    return lines, who, offers, surplus


@settings(max_examples=300, deadline=None)
@given(contested())
def test_when_order_offers_compete_the_engine_matches_the_brute_force_best(case):
    assert_best_by_brute_force(case)


@settings(max_examples=300, deadline=None)
@given(lines_st, st.integers(0, 10_000), st.sampled_from([None, "regular", "gold"]))
def test_a_cart_with_no_offers_prices_exactly_as_the_full_engine_would(raw, bps, member):
    # price_order skips the engine when no offer is in play; the answer must not change by it
    tiers = {**TIERS, "gold": msgspec.structs.replace(TIERS["gold"], discount_bps=bps)}
    lines = [CartLine(sku, qty, CATALOG[sku].price_fen if p is None else p) for sku, qty, p in raw]
    who = Customer(member_id="m1", tier_id=member) if member else Customer()
    fast = price_order(lines, CATALOG, who, tiers, [], {}, NOW, SHANGHAI)
    full = price_order(lines, CATALOG, who, tiers, [], {}, NOW, SHANGHAI, full_engine=True)
    assert fast == full
    subtotals = [x.qty * x.unit_price_fen for x in lines if CATALOG[x.sku].member_discount]
    # some discount exactly when a gold member has a line whose tier share rounds up to a fen
    assert (fast.cart.discount_fen > 0) == (member == "gold" and any(t * bps >= 5_000 for t in subtotals))


@st.composite
def boost_st(draw, n: int, spends: list[int]) -> Offer:
    campaign = Campaign(
        campaign_id=f"md{n}", kind="member_day", name_zh=f"会员日{n}", name_en=f"Member day {n}",
        benefit=PercentOff(draw(st.integers(0, 10_000))), applies_to=draw(st.sampled_from(["order", "unit"])),
        scope=draw(scope_st), active=draw(st.sampled_from([True, True, True, False])),
        conditions=Conditions(min_spend_fen=draw(st.sampled_from(spends)),
                              weekdays=draw(st.sampled_from([None, None, [5], [1]])),
                              tiers=draw(st.sampled_from([None, None, ["gold"]]))),
        stacking=Stacking(priority=draw(st.integers(-2, 2)), stackable=draw(st.booleans())))
    return Offer(offer_id=campaign.campaign_id, campaign=campaign, remaining=draw(st.sampled_from([None, None, 0, 2])))


@settings(max_examples=400, deadline=None)
@given(lines_st, st.integers(0, 10_000), st.sampled_from([None, "regular", "gold"]), st.data())
def test_a_cart_with_member_day_boosts_only_prices_exactly_as_the_full_engine_would(raw, bps, member, data):
    # price_order prices tier and boosts directly when there is nothing to choose; the answer must not
    # change by it (duplicated offer ids included: the first one that holds and fits is the one)
    tiers = {**TIERS, "gold": msgspec.structs.replace(TIERS["gold"], discount_bps=bps)}
    lines = [CartLine(sku, qty, CATALOG[sku].price_fen if p is None else p) for sku, qty, p in raw]
    who = Customer(member_id="m1", tier_id=member) if member else Customer()
    # minimum spends at and either side of what the cart's lines come to, so every edge is met
    sums = {sum(x.qty * x.unit_price_fen for x in lines[:k]) for k in range(1, len(lines) + 1)}
    spends = sorted({0} | {max(0, t + d) for t in sums for d in (-1, 0, 1)})
    ids = data.draw(st.lists(st.integers(0, 3), max_size=4))
    offers = [data.draw(boost_st(n, spends)) for n in ids]
    fast = price_order(lines, CATALOG, who, tiers, offers, {}, NOW, SHANGHAI, "s1")
    full = price_order(lines, CATALOG, who, tiers, offers, {}, NOW, SHANGHAI, "s1", full_engine=True)
    assert fast == full


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_dropping_offers_that_cannot_reach_the_cart_or_whose_conditions_fail_changes_nothing(case):
    # a quote filters the store's offers before reading their caps (services.pricing.build_offers)
    lines, who, offers, surplus = case
    local = NOW.astimezone(SHANGHAI)
    skus = {x.sku for x in lines}
    categories = {CATALOG[x.sku].category for x in lines}
    kept = [o for o in offers if may_reach(o.campaign, skus, categories)
            and conditions_hold(o.campaign, who, local, "s1")]
    assert run(lines, who, kept, surplus) == run(lines, who, offers, surplus)
