"""Every `hq` command against a PostgreSQL warehouse, with real edge processes, matching the SQLite warehouse."""

import os
import subprocess
import sys
from pathlib import Path

import msgspec
import psycopg
from PIL import Image

from harness import next_phone, sell, write_stores


def hq(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", "hq", *args], capture_output=True, text=True,
                          timeout=180, check=False, env={**os.environ, **(env or {})}, cwd=cwd)


def _enrol(edge, phone: str) -> str:  # noqa: ANN001
    r = edge.call("POST", "/api/v1/members", json={"phone": phone, "consent": {"policy_version": "2026-01",
                  "granted": True}, "source": "cashier", "lane_id": "L1", "cashier_id": "C1"})
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


def test_pull_status_report_publish_and_unmerge_work_on_postgresql_as_on_sqlite(chain, pg_dsn, tmp_path):
    a, b = chain.edge("store-a"), chain.edge("store-b")
    write_stores(chain.stores_file, [a.entry, b.entry])
    phone = next_phone()
    first, second = _enrol(a, phone), _enrol(b, phone)  # the same person, offline at two stores
    sell(a, 5)
    sell(b, 3)
    stores = ("--stores", str(chain.stores_file))

    pulled = hq("pull", *stores, "--warehouse", pg_dsn, "--quiet")
    assert pulled.returncode == 0 and "0 failed" in pulled.stdout, pulled.stdout + pulled.stderr
    with psycopg.connect(pg_dsn) as conn:
        for edge in (a, b):
            ids = [r[0] for r in conn.execute("SELECT event_id FROM events WHERE store_id = %s", (edge.store_id,))]
            assert len(ids) == len(set(ids)) and set(ids) == edge.outbox_ids()
        persons = conn.execute("SELECT member_id, person_id FROM identities WHERE member_id IN (%s, %s) "
                               "ORDER BY joined_at", (first, second)).fetchall()
        parts = [r[0] for r in conn.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                                            "ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass")]
    assert persons == [(first, first), (second, first)]
    assert len(parts) >= 4 and all(p.startswith("events_p") for p in parts)  # days made ahead by the puller

    dsn_env = {"STORE_EDGE_HQ_DSN": pg_dsn}  # the same warehouse, named by the environment
    again = hq("pull", *stores, "--quiet", env=dsn_env, cwd=tmp_path)
    assert "(0 new)" in again.stdout, again.stdout + again.stderr
    assert not (tmp_path / "hq" / "warehouse.db").exists()  # no SQLite file was made on the side

    lite = str(tmp_path / "lite.db")  # the same stores into an SQLite warehouse, to compare
    assert "0 failed" in hq("pull", *stores, "--warehouse", lite, "--quiet").stdout
    status = {
        "pg": msgspec.json.decode(hq("status", *stores, "--json", env=dsn_env).stdout),
        "lite": msgspec.json.decode(hq("status", *stores, "--json", "--warehouse", lite).stdout)}
    for rows in status.values():
        assert {r["store_id"]: r["events"] for r in rows} == {e.store_id: len(e.outbox_ids()) for e in (a, b)}
        assert all(r["lease_holder"] is None and r["last_pulled_by"] and r["batches_behind"] == 0 for r in rows)
    table = hq("status", *stores, env=dsn_env)
    assert "postgresql warehouse" in table.stdout and "held by" in table.stdout

    reports = {w: hq("report", "join-rate", "--json", "--warehouse", w).stdout for w in (pg_dsn, lite)}
    assert reports[pg_dsn] == reports[lite] and '"store_id":"chain"' in reports[pg_dsn]
    png = tmp_path / "join-rate.png"
    drawn = hq("report", "join-rate", "--png", str(png), env=dsn_env)
    assert drawn.returncode == 0 and "store-a" in drawn.stdout, drawn.stderr
    assert Image.open(png).format == "PNG"

    published = hq("publish", *stores, "--push", env=dsn_env)
    assert "store-b: bundle v1 applied" in published.stdout, published.stdout + published.stderr
    found = b.call("GET", "/api/v1/members/lookup", params={"member_id": second})
    assert (found.status_code, found.json()["member_id"]) == (200, first)

    with psycopg.connect(pg_dsn) as conn:
        merge_id = conn.execute("SELECT merge_id FROM hq_identity_merges").fetchone()[0]
    undone = hq("unmerge", str(merge_id), env=dsn_env)
    assert undone.returncode == 0 and second in undone.stdout, undone.stderr
    assert hq("unmerge", str(merge_id), env=dsn_env).returncode != 0  # a merge is reversed once
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT person_id FROM identities WHERE member_id = %s", (second,)).fetchone() == (second,)
    assert "store-b: bundle v2 applied" in hq("publish", *stores, "--push", env=dsn_env).stdout


def test_a_warehouse_target_is_a_file_path_or_a_postgresql_url_and_nothing_else(tmp_path):
    for bad in ("postgres:/typo/db", "postgresql:db", "mysql://host/db", "sqlite://x.db"):
        refused = hq("status", "--warehouse", bad, cwd=tmp_path)
        assert refused.returncode != 0 and "--warehouse" in refused.stderr, (bad, refused.stderr)
    assert list(tmp_path.iterdir()) == []  # no file named after a mistyped URL
    unreachable = hq("status", "--warehouse", f"postgresql://hq:s3cret@/nodb?host={tmp_path}&port=1", cwd=tmp_path)
    assert unreachable.returncode != 0 and "cannot reach" in unreachable.stderr
    assert "s3cret" not in unreachable.stderr and "Traceback" not in unreachable.stderr
    named = hq("status", "--warehouse", "./with:colon.db", "--json", cwd=tmp_path)
    assert named.returncode == 0 and (tmp_path / "with:colon.db").exists()
