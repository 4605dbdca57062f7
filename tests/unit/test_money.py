"""Integer fen: half-up basis points, exact spreading."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain.money import bps_of, spread


@pytest.mark.parametrize(("amount", "bps", "expected"), [
    (1000, 1000, 100),   # 10% of 10.00
    (5, 1000, 1),        # 0.5 fen rounds up
    (4, 1000, 0),        # 0.4 fen rounds down
    (15, 5000, 8),       # 7.5 rounds up
    (0, 1000, 0),
    (999, 10_000, 999),  # the whole amount
])
def test_bps_of_rounds_half_up_to_the_fen(amount, bps, expected):
    assert bps_of(amount, bps) == expected


def test_bps_of_refuses_negative_amounts():
    with pytest.raises(ValueError):
        bps_of(-1, 100)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_spread_parts_sum_exactly_and_follow_the_weights(total, weights):
    if sum(weights) == 0:
        total = 0
    parts = spread(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact_num = total * weight  # the exact share is exact_num / whole
        assert part * whole >= exact_num - whole and part * whole <= exact_num + whole  # within one fen
        if weight == 0:
            assert part == 0


def test_spread_gives_the_leftover_fen_to_the_largest_remainders():
    assert spread(10, [1, 1, 1]) == [4, 3, 3]
    assert spread(100, [50, 30, 20]) == [50, 30, 20]
    assert spread(1, [1, 2]) == [0, 1]
