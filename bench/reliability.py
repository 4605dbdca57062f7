"""The long versions of the reliability tests, with their figures.

    .venv/bin/python bench/reliability.py [--fuzz-examples 40] [--power-cuts 200] [--kills 20]

- fuzz: schemathesis over the served OpenAPI (tests/hostile/test_fuzz_openapi.py) with N examples per
  operation and generation mode, each sent with the lane, manager and hq keys: cases and 5xx;
- power cuts: the test VFS drops every unsynced write at a random moment of 8 lanes of joins, sales
  and redemptions, half the time keeping a random part of the unsynced writes (tests/powercut.py):
  cuts, sales answered 2xx, lost, duplicated, integrity failures, other disagreements;
- kills: SIGKILL of `store-edge serve` under 8 lanes, then HQ pulls (tests/sync/test_crash_under_load.py).

The CI-sized versions of the same tests run in the suite; this prints what a longer run found.
"""

import argparse
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "hostile")]


def pytest_figure(test: str, env: dict[str, str], pattern: str) -> tuple[str, bool, float]:
    """Run one test file with `env`; return its figure line, whether it passed, and the seconds it took."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", test],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    found = re.search(pattern, done.stdout)
    line = found.group(0) if found else "(no figure: see the output below)"
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
    return line, done.returncode == 0, time.monotonic() - started


def power_cuts(runs: int, seed: int) -> dict[str, int]:
    logging.disable(logging.CRITICAL)  # each cut makes the store log its failed writes: the figures say it
    import powercut
    from reliability import check_store, prepare_store
    from test_power_cuts import power_cut_once

    work = Path(tempfile.mkdtemp(prefix="powercuts-"))
    template = (work / "template", prepare_store(work / "template"))
    rng = random.Random(seed)
    power_cut_once(template, work, rng, "calibrate", None)
    ops = powercut.install().operations
    figures = {"cuts": 0, "answered_2xx": 0, "lost": 0, "duplicated": 0, "integrity_failures": 0,
               "disagreements": 0, "unsynced_writes_dropped": 0}
    for n in range(runs):
        powercut.install().operations = 0
        result, dropped, db = power_cut_once(template, work, rng, f"cut{n}", rng.randint(1, ops),
                                             partial=n % 2 == 1)
        verdict = check_store(db, result.acked)
        figures["cuts"] += 1
        figures["answered_2xx"] += len(result.acked)
        figures["lost"] += len(verdict.lost)
        figures["duplicated"] += len(verdict.duplicated)
        figures["integrity_failures"] += verdict.integrity != "ok"
        figures["disagreements"] += len(verdict.disagreements)
        figures["unsynced_writes_dropped"] += sum(dropped.values())
        for path in (work / f"cut{n}").glob("*"):
            path.unlink()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fuzz-examples", type=int, default=40)
    ap.add_argument("--power-cuts", type=int, default=200)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    print(f"reliability bench, seed {args.seed}")

    line, ok, took = pytest_figure("tests/hostile/test_fuzz_openapi.py",
                                   {"STORE_EDGE_FUZZ_EXAMPLES": str(args.fuzz_examples)},
                                   r"fuzz: \d+ cases, \d+ 5xx, \d+ operations")
    print(f"{line}  [{'passed' if ok else 'FAILED'}, {took:.0f} s]")

    started = time.monotonic()
    cuts = power_cuts(args.power_cuts, args.seed)
    print("power cuts: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in cuts.items())
          + f"  [{time.monotonic() - started:.0f} s]")

    line, ok, took = pytest_figure("tests/sync/test_crash_under_load.py",
                                   {"STORE_EDGE_KILLS": str(args.kills)}, r"crash: .*")
    print(f"{line}  [{'passed' if ok else 'FAILED'}, {took:.0f} s]")


if __name__ == "__main__":
    main()
