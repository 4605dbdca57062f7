"""Quote latency of the campaign engine alone, in process: 200 active campaigns and a 20-line cart,
p50/p99 beside the same cart priced with no campaigns (the floor), measured in the same run.

    .venv/bin/python bench/campaign_bench.py [--runs 2000] [--seed 4] [--gc-tuned]
"""

import argparse
import gc
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from edge.domain.campaigns import (
    AmountOff,
    Campaign,
    Conditions,
    Customer,
    FixedPrice,
    Flash,
    Limits,
    PercentOff,
    PointsMultiplier,
    Scope,
    Stacking,
)
from edge.domain.models import CartLine, Sku, Tier
from edge.domain.pricing import Offer, price_order, price_with

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 17:00 local: member day and flash hours both open
CATEGORIES = ["coffee", "tea", "pastry", "food", "retail", "gift"]
TIERS = {"regular": Tier(tier_id="regular", name_zh="普通", name_en="Regular", rank=0),
         "gold": Tier(tier_id="gold", name_zh="金卡", name_en="Gold", rank=2, discount_bps=1000)}


def catalog(rnd: random.Random) -> dict[str, Sku]:
    return {f"SKU{n:03d}": Sku(sku=f"SKU{n:03d}", name_zh=f"商品{n}", name_en=f"Item {n}",
                               category=CATEGORIES[n % len(CATEGORIES)], price_fen=rnd.randrange(500, 12_000),
                               member_discount=n % 17 != 0) for n in range(300)}


def campaigns(rnd: random.Random, skus: list[str]) -> list[Offer]:
    """A busy store, 200 campaigns: 110 unit offers by SKU or category (千店千券; a few in 3 exclusive
    groups), 40 order coupons with minimum spends, 10 stackable order offers, 10 birthday offers,
    10 flash offers, 10 member days, 10 points multipliers; a third limited to other stores' days."""
    offers = []
    for n in range(200):
        cid = f"c{n:03d}"
        roll = n % 20
        common = dict(campaign_id=cid, name_zh=f"活动{n}", name_en=f"Campaign {n}")
        scope = Scope(store_ids=["s1", "s2"] if n % 3 else None, skus=rnd.sample(skus, 3) if n % 2 else None,
                      categories=None if n % 2 else [rnd.choice(CATEGORIES)])
        weekdays = None if n % 4 else [rnd.randint(1, 7)]
        if roll < 11:
            benefit = rnd.choice([PercentOff(rnd.randrange(500, 3000)), AmountOff(rnd.randrange(100, 800)),
                                  FixedPrice(rnd.randrange(300, 2000))])
            c = Campaign(kind="manual", benefit=benefit, applies_to="unit", scope=scope,
                         conditions=Conditions(weekdays=weekdays),
                         stacking=Stacking(exclusive_group=f"g{n % 3}" if n % 10 == 0 else None), **common)
        elif roll < 15:
            c = Campaign(kind="manual", benefit=rnd.choice([PercentOff(rnd.randrange(300, 1500)),
                                                            AmountOff(rnd.randrange(500, 3000))]),
                         scope=Scope(categories=None if n % 2 else [rnd.choice(CATEGORIES)]),
                         conditions=Conditions(min_spend_fen=rnd.choice([0, 5000, 20000, 100000]), weekdays=weekdays),
                         limits=Limits(total=1000, per_day=100), **common)
        elif roll < 16:
            c = Campaign(kind="manual", benefit=AmountOff(rnd.randrange(100, 500)), stacking=Stacking(stackable=True,
                         priority=rnd.randint(0, 9)), conditions=Conditions(min_spend_fen=10000), **common)
        elif roll < 17:
            c = Campaign(kind="birthday", benefit=PercentOff(2000), applies_to="unit", scope=scope,
                         conditions=Conditions(window_days=3), limits=Limits(per_member=1), **common)
        elif roll < 18:
            c = Campaign(kind="flash_inventory", benefit=PercentOff(5000), applies_to="unit",
                         scope=Scope(skus=rnd.sample(skus, 2)), flash=Flash(start="16:00", threshold=5), **common)
        elif roll < 19:
            c = Campaign(kind="member_day", benefit=PercentOff(rnd.randrange(100, 600)),
                         conditions=Conditions(weekdays=[5]), **common)
        else:
            c = Campaign(kind="manual", benefit=PointsMultiplier(rnd.choice([150, 200, 300])),
                         conditions=Conditions(weekdays=weekdays), **common)
        offers.append(Offer(offer_id=cid, campaign=c, expires_at=NOW + timedelta(days=rnd.randint(1, 60)),
                            remaining=rnd.choice([None, None, 50])))
    return offers


def measure(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--gc-tuned", action="store_true",
                        help="freeze what setup made and raise the collector's thresholds, as a server could at start")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    cat = catalog(rnd)
    skus = sorted(cat)
    offers = campaigns(rnd, skus)
    lines = [CartLine(sku, rnd.randint(1, 3), cat[sku].price_fen) for sku in rnd.sample(skus, 20)]
    surplus = {sku: 8 for sku in skus}
    who = Customer(member_id="m1", tier_id="gold", birthday="11-27", joined_on="2025-01-01")

    def with_campaigns():
        return price_order(lines, cat, who, TIERS, offers, surplus, NOW, TZ, "s1")

    def floor():
        return price_order(lines, cat, who, TIERS, [], surplus, NOW, TZ, "s1")

    for _ in range(50):  # warm up
        with_campaigns(), floor()
    if args.gc_tuned:
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
    priced = with_campaigns()
    _, fitting = price_with(lines, cat, who, TIERS, offers, surplus, NOW, TZ, "s1")
    p50, p99 = measure(with_campaigns, args.runs)
    f50, f99 = measure(floor, args.runs)
    gc.disable()  # the same again with the cyclic collector paused: how much of the tail is its passes
    try:
        g50, g99 = measure(with_campaigns, args.runs)
    finally:
        gc.enable()
    print(f"campaigns: {len(offers)} active, {len(fitting)} fit this cart; cart: {len(lines)} lines; runs: {args.runs}")
    print(f"discount {priced.cart.discount_fen} fen of {priced.cart.subtotal_fen}; {len(priced.uses)} offers used; "
          f"points x{priced.points_multiplier_pct / 100:g}")
    print(f"engine, 200 campaigns : p50 {p50:.3f} ms   p99 {p99:.3f} ms   (target p99 < 5 ms)")
    print(f"engine, no campaigns  : p50 {f50:.3f} ms   p99 {f99:.3f} ms   (floor, same run)")
    print(f"engine, 200, gc paused: p50 {g50:.3f} ms   p99 {g99:.3f} ms   (the tail above is mostly gc passes)")


if __name__ == "__main__":
    main()
