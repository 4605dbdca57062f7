"""Integer-fen arithmetic: half-up rounding and exact spreading. No float touches money."""

BPS = 10_000  # basis points in one whole


def bps_of(amount_fen: int, bps: int) -> int:
    """Return `bps` basis points of a non-negative amount, rounded half up to the fen."""
    if amount_fen < 0 or bps < 0:
        raise ValueError("amount and bps must be non-negative")
    return (amount_fen * bps + BPS // 2) // BPS


def spread(total_fen: int, weights: list[int]) -> list[int]:
    """Split `total_fen` over lines in proportion to `weights` by largest remainder.

    The parts sum exactly to `total_fen`; ties in remainder go to the earlier line, so the
    result is deterministic. A zero total weight puts nothing anywhere (and needs a zero total).
    """
    if total_fen < 0 or (weights and min(weights) < 0):
        raise ValueError("spread takes non-negative amounts")
    whole = sum(weights)
    if whole == 0:
        if total_fen:
            raise ValueError("cannot spread a non-zero amount over zero weight")
        return [0] * len(weights)
    parts = [total_fen * w // whole for w in weights]
    short = total_fen - sum(parts)
    if short:  # the fen lost to flooring go to the largest remainders (a stable sort: ties to the earlier)
        remainders = [total_fen * w % whole for w in weights]
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:short]:
            parts[i] += 1
    return parts
