"""Upgrades: a store made by the first schema this project shipped opens on today's code with its data,
after a backup; a database from a newer release is refused with what to do; each migration is atomic."""

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from edge.services import upgrade
from edge.services.backup import integrity_errors, list_backups
from edge.services.runtime import StoreRuntime
from edge.store.migrations import EDGE_MIGRATIONS

from ops_support import Served, cli

FIXTURE = Path(__file__).parent / "fixtures" / "oldest-store.db"  # made by make_oldest_store.py


def _old_store(tmp_path: Path) -> Path:
    data_dir = tmp_path / "store"
    data_dir.mkdir()
    shutil.copyfile(FIXTURE, data_dir / "store.db")
    return data_dir


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_the_fixture_is_the_first_schema_with_data_in_it():
    applied = _rows(FIXTURE, "SELECT migration_set, name FROM _sqlite_migrations")
    assert applied == [("store-edge", "m001_core")]
    assert len(_rows(FIXTURE, "SELECT * FROM members")) == 3
    assert len(_rows(FIXTURE, "SELECT * FROM sales")) == 4


def test_the_oldest_store_upgrades_keeps_its_data_and_serves(tmp_path):
    data_dir = _old_store(tmp_path)
    db_path = data_dir / "store.db"
    tables = ("members", "sales", "sale_lines", "points_ledger", "outbox", "api_keys", "secrets", "consents")
    # the columns the old release had: later migrations may add columns, never change these
    columns = {t: ", ".join(r[1] for r in _rows(db_path, f"PRAGMA table_info({t})")) for t in tables}
    before = {t: _rows(db_path, f"SELECT {columns[t]} FROM {t} ORDER BY 1") for t in tables}

    done = cli("upgrade", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    assert "store-edge-join/" in done.stdout and "store-edge-sync/" in done.stdout

    for table, rows in before.items():  # every row the old release wrote is still there, unchanged
        assert _rows(db_path, f"SELECT {columns[table]} FROM {table} ORDER BY 1") == rows, table
    assert integrity_errors(db_path) == []
    db = sqlite_utils.Database(db_path)
    assert upgrade.pending_migrations(db) == []
    db.conn.close()
    # the join-rate counts that a later migration derives from existing sales
    assert _rows(db_path, "SELECT sum(completed) FROM sales_day_counts") == [(3,)]
    # sales recorded before the charged amount was kept were charged their total
    assert _rows(db_path, "SELECT count(*) FROM sales WHERE charged_fen IS NOT total_fen") == [(0,)]
    # a backup of the old file was taken first, and it is the old schema
    (pre,) = list_backups(data_dir / "backups")
    assert pre.label == "pre-upgrade"
    assert _rows(pre.path, "SELECT count(*) FROM _sqlite_migrations") == [(1,)]

    with Served(data_dir) as served:
        status = httpx.get(f"{served.url}/healthz").json()
        assert status["ok"] and status["store_id"] == "oldest-001" and status["outbox_depth"] == len(before["outbox"])
        home = httpx.get(f"{served.url}/")
        assert home.status_code == 200 and "oldest-001" in home.text


def test_opening_a_current_store_takes_no_backup(store_dir):
    data_dir, _ = store_dir
    StoreRuntime(data_dir).close()
    assert list_backups(data_dir / "backups") == []


def _newer(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "store.db") as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('store-edge', 'm999_from_the_future', '2030-01-01 00:00:00+00:00')")


def test_a_database_from_a_newer_release_refuses_to_start_and_says_what_to_do(store_dir):
    data_dir, _ = store_dir
    _newer(data_dir)
    with pytest.raises(upgrade.DatabaseNewer, match="m999_from_the_future"):
        StoreRuntime(data_dir)
    served = cli("serve", "--data-dir", str(data_dir), "--port", "1")
    assert served.returncode == 78  # systemd does not restart-loop on it (RestartPreventExitStatus)
    assert "newer store-edge" in served.stderr and "restore" in served.stderr and "Traceback" not in served.stderr
    assert list_backups(data_dir / "backups") == []  # and it touched nothing


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    data_dir = _old_store(tmp_path)
    core = EDGE_MIGRATIONS

    @core(len(core.steps) + 1, recorded_as=("store-edge", "m998_broken"))
    def broken(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk said no")

    try:
        with pytest.raises(RuntimeError, match="disk said no"):
            StoreRuntime(data_dir)
        tables = {r[0] for r in _rows(data_dir / "store.db", "SELECT name FROM sqlite_master WHERE type='table'")}
        assert "half_done" not in tables
        applied = {r[0] for r in _rows(data_dir / "store.db", "SELECT name FROM _sqlite_migrations")}
        assert "m998_broken" not in applied and "m003_sales_day_counts" in applied  # the ones before it stand
    finally:
        core.steps = [m for m in core.steps if m.recorded_as[1] != "m998_broken"]
