"""The history bench keeps working: a CI-sized run (a few thousand sales, one short round) prints its
whole table. The figures themselves are the bench's to judge, not this test's."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = ["quote req/s", "sale p99 ms", "lookup-phone req/s", "lookup-payer p50 ms", "quote+bg p99 ms",
        "sale+bg req/s", "quote / spine-quote", "sale / spine-write", "bg pull ms", "bg backup ms", "bg poster ms",
        "bg pull ms per 1,000 events", "bg backup s per GB", "bg WAL peak MB", "report: join rate 365 d by lane ms",
        "report: segments ms", "startup s", "database MB", "WAL MB", "server RSS MB (now)"]


def test_a_small_history_bench_runs_end_to_end_and_prints_every_row(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "bench/history.py", "--years", "0.01", "--sales-per-day", "300",
                           "--seconds", "1", "--rounds", "1", "--starts", "0", "--lanes", "4",
                           "--store", str(tmp_path / "history")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"loader check: \d+ rows in \d+ tables equal", out), out
    assert "history: 1200 sales" in out, out
    for label in ROWS:
        line = next((ln for ln in out.splitlines() if ln.startswith(label)), None)
        assert line is not None, f"no {label!r} row:\n{out}"
        assert "nan" not in line, line
    assert "non-2xx or socket errors over every run: 0" in out, out
    assert (tmp_path / "history" / "history-plan.json").exists()  # kept for the next run to reuse
