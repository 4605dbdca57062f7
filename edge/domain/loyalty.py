"""Tiers and points: what a paid amount earns and which tier lifetime spend qualifies for."""

from collections.abc import Mapping

from .models import Tier


def points_earned(paid_fen: int, tier: Tier, fen_per_point: int) -> int:
    """Points for a paid amount: paid x tier multiplier, one point per `fen_per_point`, rounded down."""
    if paid_fen <= 0:
        return 0
    return paid_fen * tier.points_multiplier_pct // (100 * fen_per_point)


def qualified_tier(current: Tier, lifetime_spend_fen: int, tiers: Mapping[str, Tier]) -> Tier:
    """The highest tier the spend qualifies for, never below the current one (no downgrade here)."""
    best = current
    for tier in tiers.values():
        if tier.rank > best.rank and lifetime_spend_fen >= tier.upgrade_spend_fen:
            best = tier
    return best


def entry_tier(tiers: Mapping[str, Tier]) -> Tier:
    """The tier a new member starts in: the lowest rank."""
    return min(tiers.values(), key=lambda t: t.rank)
