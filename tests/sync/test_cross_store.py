"""Across stores, through HQ: a member who joined at A is recognised at B after the next bundle."""

import msgspec
from harness import cli, next_phone, write_stores
from PIL import Image


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
    with __import__("sqlite3").connect(chain.warehouse) as conn:
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
