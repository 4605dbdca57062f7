"""What the pitch costs a quote, in process, on the demo store: a member's quote (no pitch), a
non-member's quote (priced twice: as is, and for the member they would become) and a non-member's
quote with the pitch switched off (the floor), interleaved in rounds, medians and p99 printed.

    .venv/bin/python bench/pitch_bench.py [--rounds 5] [--runs 400]

It uses only what main has as well (init_store, seed_demo, StoreRuntime, checkout.quote), so
`PYTHONPATH=<another checkout> .venv/bin/python bench/pitch_bench.py --no-floor` measures that one.
"""

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime

from edge.schemas import LineIn, QuoteIn
from edge.services import checkout, members
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo

FRIDAY_10AM = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # the demo's member day: a boost, a welcome coupon
CART = [LineIn("LATTE", 2), LineIn("CROISSANT", 1), LineIn("SANDWICH", 1)]


def timings(fn, runs: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e6)
    return out


def p99(xs: list[float]) -> float:
    return sorted(xs)[int(len(xs) * 0.99) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--no-floor", action="store_true", help="skip the pitch-off floor (for a build without it)")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="pitch-bench-")
    init_store(data, demo_config(), clock=lambda: FRIDAY_10AM)
    seed_demo(data, clock=lambda: FRIDAY_10AM)
    store = StoreRuntime(data, clock=lambda: FRIDAY_10AM)
    loop = asyncio.new_event_loop()  # one loop for every probe: the quote is a coroutine (its price lock)
    run = loop.run_until_complete
    try:
        from edge.schemas import ConsentIn, EnrolIn
        member, _ = run(members.enrol(store, EnrolIn(
            phone="13800138000", consent=ConsentIn("2026-01", True), lane_id="L1", cashier_id="C1")))
        as_member = QuoteIn(lane_id="L1", cashier_id="C1", lines=CART)
        as_guest = QuoteIn(lane_id="L2", cashier_id="C1", lines=CART, checkout_id="bench-guest")
        guest = run(checkout.quote(store, as_guest))
        assert guest.join is not None
        print(f"demo store, Friday 10:00: cart of {len(CART)} lines; a guest pays {guest.total_fen} fen, "
              f"the pitch says {getattr(guest.join, 'saving_fen', '?')} fen less")
        probes = {"member quote": lambda: run(checkout.quote(store, as_member, member)),
                  "non-member quote (with pitch)": lambda: run(checkout.quote(store, as_guest))}
        if not args.no_floor:
            from edge.services import pitch as pitch_module

            real = pitch_module.pitch

            def without_pitch() -> None:
                pitch_module.pitch = _no_pitch(real)
                try:
                    run(checkout.quote(store, as_guest))
                finally:
                    pitch_module.pitch = real

            probes["non-member quote, pitch off (floor)"] = without_pitch
        results: dict[str, list[float]] = {name: [] for name in probes}
        p99s: dict[str, list[float]] = {name: [] for name in probes}
        gc.collect()
        for _ in range(args.rounds):
            for name, fn in probes.items():
                timings(fn, 20)  # warm
                xs = timings(fn, args.runs)
                results[name].append(statistics.median(xs))
                p99s[name].append(p99(xs))
        floor = statistics.median(results.get("member quote", [1.0]))
        print(f"{'probe':40} {'median us':>10} {'p99 us':>10} {'x member':>9}")
        for name in probes:
            med = statistics.median(results[name])
            print(f"{name:40} {med:10.1f} {statistics.median(p99s[name]):10.1f} {med / floor:9.2f}")
    finally:
        loop.close()
        store.close()


def _no_pitch(real):  # noqa: ANN001, ANN202
    """A pitch that prices nothing: the quote's other work, for the floor."""
    from edge.domain.offer_texts import Promise
    from edge.services.pitch import Pitch

    def none(store, ctx, conn, cart, codes, total_now_fen, holder=None):  # noqa: ANN001, ANN202
        return Pitch(saving_fen=0, total_if_joined_fen=total_now_fen, points=0, welcome=None, welcome_now=False,
                     promise=Promise(headline_zh="", headline_en="", lead_zh="", lead_en=""))

    return none


if __name__ == "__main__":
    main()
