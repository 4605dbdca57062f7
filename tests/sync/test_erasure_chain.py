"""Erasure across a chain of three stores and HQ, searched byte by byte; re-joins and later stores.

Each test runs with HQ's warehouse on SQLite (its file and WAL searched byte by byte) and on
PostgreSQL (every row of every table read back as text and searched).
"""

import gzip
import shutil
import sqlite3
from pathlib import Path

import msgspec
import pytest

from edge.domain.identity import payer_hash, phone_hash
from sync.hq import warehouse

from harness import cli, next_phone, write_stores

PAYER = "o6_erasure-payer-7"


@pytest.fixture(params=["sqlite", "postgresql"])
def chain(request: pytest.FixtureRequest, chain):  # noqa: ANN001, ANN201
    """The chain, with HQ's warehouse on each engine (`chain.hq_target`)."""
    chain.hq_target = str(chain.warehouse) if request.param == "sqlite" else request.getfixturevalue("pg_dsn")
    return chain


def _wh_rows(chain, sql: str) -> list[tuple]:  # noqa: ANN001
    wh = warehouse.open_warehouse(chain.hq_target)
    try:
        return [tuple(r) for r in wh.execute(sql).fetchall()]
    finally:
        wh.close()


def _hq(chain, *args: str):  # noqa: ANN001, ANN202
    out = cli("hq", *args, "--stores", str(chain.stores_file), "--warehouse", chain.hq_target)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _sync(chain) -> None:  # noqa: ANN001
    assert "0 failed" in _hq(chain, "pull", "--quiet").stdout
    assert "failed" not in _hq(chain, "publish", "--push").stdout


def _enrol(edge, phone: str, payment_link: bool = False) -> str:  # noqa: ANN001
    r = edge.call("POST", "/api/v1/members", json={
        "phone": phone, "consent": {"policy_version": "2026-01", "granted": True, "payment_link": payment_link},
        "source": "cashier", "lane_id": "L1", "cashier_id": "C1"})
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


def _sell(edge, sale_id: str, member_id: str | None = None, payer: str | None = None) -> dict:  # noqa: ANN001
    body = {"sale_id": sale_id, "lane_id": "L1", "cashier_id": "C1", "lines": [{"sku": "LATTE", "qty": 1}],
            "payment": {"method": "wechat_pay", **({"provider": "wechat", "payer_id": payer} if payer else {})}}
    if member_id:
        body["member_id"] = member_id
    r = edge.call("POST", "/api/v1/sales", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _backup(edge, name: str) -> Path:  # noqa: ANN001
    """A backup as `store-edge backup` makes one: SQLite's online copy, one self-contained file."""
    target = edge.data_dir / "backups" / f"store-edge-{edge.store_id}-{name}.db"
    target.parent.mkdir(exist_ok=True)
    src, dst = edge.db(), sqlite3.connect(target)
    src.backup(dst)
    dst.execute("PRAGMA journal_mode = DELETE")
    src.close()
    dst.close()
    return target


def _cli_backup(chain, edge) -> None:  # noqa: ANN001
    """`store-edge backup` into a directory of its own and a second copy elsewhere (a NAS, a USB disk)."""
    out = cli("backup", "--data-dir", str(edge.data_dir), "--to", str(chain.root / "nas" / edge.store_id),
              "--copy-to", str(chain.root / "usb" / edge.store_id))
    assert out.returncode == 0, out.stdout + out.stderr


def _readable_bytes(path: Path) -> bytes:
    """A file's bytes, and for a store database also its sealed batch bodies unzipped."""
    data = path.read_bytes()
    if path.suffix == ".db" and data:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_batches'").fetchone():
                data += b"".join(gzip.decompress(r[0]) for r in conn.execute("SELECT body_gz FROM sync_batches"))
    return data


def _files(chain) -> list[Path]:  # noqa: ANN001
    files = [chain.warehouse, Path(f"{chain.warehouse}-wal")] if not warehouse.is_postgres(chain.hq_target) else []
    for edge in chain.edges:
        files += [edge.data_dir / "store.db", edge.data_dir / "store.db-wal",
                  *sorted((edge.data_dir / "backups").glob("*.db")),
                  *sorted(p for where in ("nas", "usb") for p in (chain.root / where / edge.store_id).glob("*.db"))]
    return [f for f in files if f.exists()]


def _postgres_text(chain) -> bytes:  # noqa: ANN001
    """Every row of every table of the PostgreSQL warehouse, as text (keys as hex)."""
    tables = [r[0] for r in _wh_rows(chain, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    return "\n".join(str(row) for t in tables for row in _wh_rows(chain, f"SELECT * FROM {t}")).encode()


def _found(chain, secrets: dict[str, str]) -> list[tuple[str, str]]:  # noqa: ANN001
    hits = []
    for path in _files(chain):
        data = _readable_bytes(path)
        hits += [(str(path.relative_to(chain.root)), name) for name, value in secrets.items()
                 if value.encode() in data]
    if warehouse.is_postgres(chain.hq_target):
        data = _postgres_text(chain)
        hits += [("postgresql warehouse", name) for name, value in secrets.items() if value.encode() in data]
    return hits


def test_an_erased_member_leaves_no_phone_or_payer_in_any_store_backup_or_hq_even_after_a_restore(chain):
    a, b, c = chain.edge("store-a"), chain.edge("store-b"), chain.edge("store-c")
    write_stores(chain.stores_file, [a.entry, b.entry, c.entry])
    phone = next_phone()
    e164 = "+86" + phone
    secrets = {"raw phone": phone, "E.164": e164, "phone hash": phone_hash(chain.key, e164), "payer id": PAYER,
               "payer hash": payer_hash(chain.key, "wechat", "", PAYER)}
    member = _enrol(a, phone, payment_link=True)
    assert _sell(a, "a-1", member, PAYER)["payment"]["payer_linked"] is True
    _sell(a, "a-2", payer=PAYER)  # recognised by the payer alone
    other = _enrol(a, next_phone())  # someone else, who must be untouched
    _sell(a, "a-3", other)
    _sync(chain)
    assert _sell(b, "b-1", member)["member"]["member_id"] == member  # known at B through HQ's directory
    for edge in (a, b, c):  # B learnt of the member through HQ and sold to them: its copies hold them too
        _cli_backup(chain, edge)
    older = _backup(a, "20260101T000000Z")
    keep_aside = chain.root / "older-copy.db"
    shutil.copy(older, keep_aside)  # a copy the erasure cannot reach: restored by hand later
    _sync(chain)
    before = _found(chain, secrets)
    for where in ("store-a/backups", "nas/store-a", "usb/store-a", "nas/store-b", "usb/store-b",
                  "warehouse"):  # the test must see the values before the erasure, in every kind of place
        assert any(where in found for found, _ in before), (where, before)
    a_rate = a.call("GET", "/api/v1/reports/join-rate", role="manager").json()["total"]

    erased = a.call("POST", f"/api/v1/members/{member}/erasure", role="manager",
                    json={"reason": "asked at the counter", "recorded_by": "Wang Li"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased_ids"] == [member] and "HQ" in erased.json()["next_steps"]["en"]
    _sync(chain)

    for edge in (a, b, c):
        for params in ({"phone": phone}, {"member_id": member}, {"payer": f"wechat:{PAYER}"}):
            assert edge.call("GET", "/api/v1/members/lookup", params=params).status_code == 404, (edge.store_id, params)
        assert edge.call("GET", "/api/v1/members/lookup", params={"member_id": other}).status_code == 200
    assert _found(chain, secrets) == []
    assert a.call("GET", "/api/v1/reports/join-rate", role="manager").json()["total"] == a_rate  # sales still count
    with a.db() as conn:
        assert conn.execute("SELECT count(*), sum(total_fen > 0) FROM sales WHERE sale_id IN ('a-1', 'a-2') "
                            "AND member_id IS NULL AND payer_hash IS NULL").fetchone() == (2, 2)
    sale = msgspec.json.decode(_wh_rows(chain, "SELECT payload FROM events WHERE type = 'sale.completed' "
                                               "AND payload LIKE '%\"a-1\"%'")[0][0])
    assert sale["member_id"] is None and sale["total_fen"] > 0 and sale.get("payer_hash") is None

    # the store is restored from the older copy: it must not bring the member back
    a.kill()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{a.data_dir / 'store.db'}{suffix}").unlink(missing_ok=True)
    shutil.copy(keep_aside, a.data_dir / "store.db")
    keep_aside.unlink()
    a.start()
    assert a.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 404
    assert a.call("GET", "/api/v1/members/lookup", params={"member_id": other}).status_code == 200
    _sync(chain)
    assert _found(chain, secrets) == []


def test_a_phone_that_joins_again_after_an_erasure_is_a_new_member_there_at_hq_and_at_a_store_provisioned_later(
        chain):
    a, b = chain.edge("store-a"), chain.edge("store-b")
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    first = _enrol(a, phone)
    _sync(chain)
    assert a.call("POST", f"/api/v1/members/{first}/erasure", role="manager",
                  json={"reason": "asked in person", "recorded_by": "Li"}).status_code == 200
    _sync(chain)
    assert b.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 404
    again = _enrol(b, phone)  # the same phone joins anew at B
    assert again != first
    _sync(chain)
    d = chain.edge("store-d")  # provisioned after the erasure and the re-join
    write_stores(chain.stores_file, [a.entry, b.entry, d.entry])
    _sync(chain)
    for edge in (a, b, d):
        found = edge.call("GET", "/api/v1/members/lookup", params={"phone": phone})
        assert (found.status_code, found.json().get("member_id")) == (200, again), edge.store_id
    rows = dict(_wh_rows(chain, "SELECT member_id, CASE WHEN erased_at IS NULL THEN 1 ELSE 0 END FROM identities"))
    assert rows == {first: 0, again: 1}
    # HQ erasing the new member from the chain reaches every store, and only that member
    out = _hq(chain, "member", "erase", again, "--reason", "letter to HQ")
    assert again in out.stdout
    _sync(chain)
    for edge in (a, b, d):
        assert edge.call("GET", "/api/v1/members/lookup", params={"phone": phone}).status_code == 404
