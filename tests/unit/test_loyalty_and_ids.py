"""Points, tier upgrades and ids."""

import uuid

from edge.domain.ids import uuid7
from edge.domain.loyalty import entry_tier, points_earned, qualified_tier
from edge.services.setup import DEMO_TIERS

TIERS = {t.tier_id: t for t in DEMO_TIERS}


def test_points_are_paid_amount_times_tier_multiplier_one_per_yuan_rounded_down():
    assert points_earned(7100, TIERS["regular"], 100) == 71
    assert points_earned(7100, TIERS["silver"], 100) == 85  # 71 x 1.2 = 85.2
    assert points_earned(7199, TIERS["gold"], 100) == 107  # 71.99 x 1.5 = 107.985
    assert points_earned(0, TIERS["gold"], 100) == 0


def test_lifetime_spend_upgrades_to_the_highest_qualifying_tier_and_never_down():
    regular = entry_tier(TIERS)
    assert regular.tier_id == "regular"
    assert qualified_tier(regular, 49_999, TIERS).tier_id == "regular"
    assert qualified_tier(regular, 50_000, TIERS).tier_id == "silver"
    assert qualified_tier(regular, 250_000, TIERS).tier_id == "gold"
    assert qualified_tier(TIERS["gold"], 0, TIERS).tier_id == "gold"


def test_uuid7_ids_are_version_7_and_strictly_increasing_within_a_process():
    ids = [uuid7(now_ms=1_700_000_000_000) for _ in range(5000)]  # same millisecond, many ids
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
