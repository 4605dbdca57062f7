"""`store-edge standees` in a real process: create, list, and a poster whose QR opens the join page."""

import subprocess
import sys

from join_helpers import decode_qr


def run(*args: str, data_dir) -> str:  # noqa: ANN001
    done = subprocess.run([sys.executable, "-m", "edge.cli", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_cli_creates_a_standee_and_writes_a_poster_whose_qr_is_its_join_url(store_dir, tmp_path):
    data_dir = store_dir[0]
    standee_id, url, short_url = run("standees", "create", "--label", "门口", "--location", "door",
                                     data_dir=data_dir).strip().split("\t")
    assert "/j/" in url and "/s/" in short_url
    listed = run("standees", "list", data_dir=data_dir)
    assert standee_id in listed and "scans 0" in listed
    out = tmp_path / "poster.png"
    run("standees", "poster", standee_id, "--size", "80mm", "--out", str(out), data_dir=data_dir)
    assert decode_qr(out.read_bytes()) == url


def test_the_cli_reports_an_unknown_standee_without_a_traceback(store_dir, tmp_path):
    done = subprocess.run([sys.executable, "-m", "edge.cli", "standees", "poster", "nope", "--out",
                           str(tmp_path / "x.png"), "--data-dir", str(store_dir[0])], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "no standee nope" in done.stderr and "Traceback" not in done.stderr
