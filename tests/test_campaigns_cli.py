"""The `store-edge campaigns` commands, run as a real process on a demo store."""

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime

import msgspec

from edge.schemas import EnrolIn
from edge.services import coupons, members
from edge.services.runtime import StoreRuntime

from builders import enrol_body


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True, timeout=60)


def test_campaigns_list_shows_the_demo_campaigns_with_their_origin(store_dir):
    out = run("campaigns", "list", "--data-dir", str(store_dir[0]))
    assert out.returncode == 0, out.stderr
    rows = {line.split("\t")[0]: line.split("\t")[1:3] for line in out.stdout.splitlines()}
    assert rows["flash-pastry"] == ["flash_inventory", "local"]
    assert rows["member-day-friday"] == ["member_day", "hq"]


def test_campaigns_maintain_expires_a_coupon_issued_long_ago(store_dir):
    long_ago = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    store = StoreRuntime(store_dir[0], clock=lambda: long_ago)
    try:
        member, _ = asyncio.run(members.enrol(store, msgspec.convert(enrol_body(), EnrolIn)))
        coupon = store.writer.call(lambda conn: coupons.issue_welcome_coupon(conn, store, member.member_id,
                                                                             "welcome-5", long_ago))
    finally:
        store.close()
    assert coupon is not None
    out = run("campaigns", "maintain", "--data-dir", str(store_dir[0]))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"coupons_expired": 1, "points_released": 0, "points_expired": 0,
                                       "price_locks_released": 0}
    again = run("campaigns", "maintain", "--data-dir", str(store_dir[0]))
    assert json.loads(again.stdout)["coupons_expired"] == 0
