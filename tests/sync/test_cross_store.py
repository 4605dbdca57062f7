"""Across stores, through HQ: a member who joined at A is recognised at B after the next bundle."""

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import msgspec
from PIL import Image

from edge.services.erasure import erase_member

from harness import cli, free_port, next_phone, write_stores


def _hq(chain, *args: str):  # noqa: ANN001, ANN202
    return cli("hq", *args, "--stores", str(chain.stores_file), "--warehouse", str(chain.warehouse))


def _enrol(edge, phone: str) -> str:  # noqa: ANN001
    r = edge.call("POST", "/api/v1/members", json={"phone": phone, "consent": {"policy_version": "2026-01",
                  "granted": True}, "source": "cashier", "lane_id": "L1", "cashier_id": "C1"})
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


def test_a_member_who_joined_at_store_a_is_recognised_and_can_buy_at_store_b_after_the_next_bundle(chain):
    a, b = chain.edge("store-a"), chain.edge("store-b")
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    member_id = _enrol(a, phone)
    assert b.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 404
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    published = _hq(chain, "publish", "--push")
    assert "store-b: bundle v1 applied" in published.stdout, published.stdout + published.stderr
    found = b.call("GET", "/api/v1/members/lookup", params={"phone": phone})
    assert found.status_code == 200 and found.json()["member_id"] == member_id
    sale = b.call("POST", "/api/v1/sales", json={"sale_id": "at-b-1", "lane_id": "L1", "cashier_id": "C1",
                                                  "member_id": member_id, "lines": [{"sku": "LATTE", "qty": 1}],
                                                  "payment": {"method": "cash"}})
    assert sale.status_code == 201, sale.text
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    status = msgspec.json.decode(_hq(chain, "status", "--json").stdout)
    assert {s["store_id"]: s["config_version"] for s in status} == {"store-a": 1, "store-b": 1}


def test_the_same_phone_joining_at_two_stores_offline_becomes_one_person_and_the_alias_goes_down(chain):
    a, b = chain.edge("store-a"), chain.edge("store-b")
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    first = _enrol(a, phone)
    second = _enrol(b, phone)  # later: B had not heard of A's member
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    assert "bundle version 1" in _hq(chain, "publish", "--push").stdout
    for edge in (a, b):  # both stores now serve the earliest join, by either id and by phone
        by_id = edge.call("GET", "/api/v1/members/lookup", params={"member_id": second})
        by_phone = edge.call("GET", "/api/v1/members/lookup", params={"phone": phone})
        assert (by_id.status_code, by_id.json()["member_id"]) == (200, first), edge.store_id
        assert (by_phone.status_code, by_phone.json()["member_id"]) == (200, first), edge.store_id
    with sqlite3.connect(chain.warehouse) as conn:
        persons = conn.execute("SELECT member_id, person_id FROM identities ORDER BY joined_at").fetchall()
    assert persons == [(first, first), (second, first)]


def test_the_join_rate_report_prints_a_table_and_draws_a_png(chain, tmp_path):
    a = chain.edge("store-a")
    write_stores(chain.stores_file, [a.entry])
    _enrol(a, next_phone())
    for n in range(3):
        a.call("POST", "/api/v1/sales", json={"sale_id": f"r-{n}", "lane_id": "L1", "cashier_id": "C1",
                                              "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}})
    _hq(chain, "pull", "--quiet")
    png = tmp_path / "join-rate.png"
    out = cli("hq", "report", "join-rate", "--warehouse", str(chain.warehouse), "--png", str(png))
    assert out.returncode == 0, out.stderr
    assert "store-a" in out.stdout and "chain" in out.stdout and "0.00%" in out.stdout
    image = Image.open(png)
    assert image.format == "PNG" and image.width >= 640


def test_an_erasure_at_store_a_reaches_hq_and_store_b_with_the_next_bundle(chain):
    a, b = chain.edge("store-a"), chain.edge("store-b")
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    member_id = _enrol(a, phone)
    _hq(chain, "pull", "--quiet")
    _hq(chain, "publish", "--push")
    assert b.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 200
    db = sqlite3.connect(a.data_dir / "store.db", isolation_level=None)  # the member asks store A to forget them
    db.execute("BEGIN IMMEDIATE")
    assert erase_member(db, "store-a", member_id, datetime.now(UTC), origin="member")
    db.execute("COMMIT")
    db.close()
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    assert "store-b: bundle v2 applied" in _hq(chain, "publish", "--push").stdout
    assert b.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 404
    with b.db() as conn:
        assert conn.execute("SELECT erased_at IS NOT NULL, phone_hash FROM members WHERE member_id = ?",
                            (member_id,)).fetchone()[0] == 1
    with sqlite3.connect(chain.warehouse) as conn:
        joined = conn.execute("SELECT payload FROM events WHERE type = 'member.joined'").fetchone()[0]
    assert "phone_hash" not in joined and "phone_masked" not in joined


def test_a_store_fetches_its_bundle_from_the_configured_hq_url(chain, tmp_path):
    a, b = chain.edge("store-a"), chain.edge("store-b", start=False)
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    member_id = _enrol(a, phone)
    _hq(chain, "pull", "--quiet")
    out = tmp_path / "bundles"
    assert "bundle version 1" in _hq(chain, "publish", "--out", str(out)).stdout
    port = free_port()
    files = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                              "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the file server did not start"
                time.sleep(0.05)
        set_url = cli("sync", "settings", "--data-dir", str(b.data_dir), "--hq-config-url", f"http://127.0.0.1:{port}")
        assert set_url.returncode == 0, set_url.stderr
        first = cli("sync", "config-pull", "--data-dir", str(b.data_dir))
        assert "config bundle v1 applied" in first.stdout, first.stdout + first.stderr
        assert "up to date" in cli("sync", "config-pull", "--data-dir", str(b.data_dir)).stdout
    finally:
        files.terminate()
        files.wait(timeout=10)
    b.start()
    found = b.call("GET", "/api/v1/members/lookup", params={"phone": phone})
    assert found.status_code == 200 and found.json()["member_id"] == member_id
    _hq(chain, "pull", "--quiet")  # the store reports the version it fetched: the next deltas build on it
    rows = {r["store_id"]: r["config_version"] for r in msgspec.json.decode(_hq(chain, "status", "--json").stdout)}
    assert rows == {"store-a": 0, "store-b": 1}


def test_hq_status_shows_a_store_that_cannot_be_reached_with_its_lag_and_error(chain):
    a = chain.edge("store-a")
    write_stores(chain.stores_file, [a.entry])
    _enrol(a, next_phone())
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    _enrol(a, next_phone())
    a.kill()
    assert "1 failed" in _hq(chain, "pull", "--quiet", "--attempts", "1").stdout
    rows = msgspec.json.decode(_hq(chain, "status", "--json").stdout)
    assert rows[0]["store_id"] == "store-a" and rows[0]["last_error"] and rows[0]["events"] == 1
    assert rows[0]["oldest_unpulled_age_s"] is not None and rows[0]["oldest_unpulled_age_s"] >= 0
    table = _hq(chain, "status")
    assert "store-a" in table.stdout and "HQ pull status" in table.stdout
