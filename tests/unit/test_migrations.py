"""One migration sequence per package, and stores made before it upgrade without running any step
again or skipping one (tests/fixtures/store_made_before_one_sequence.db.gz, made by the code of then)."""

import gzip
import re
import sqlite3
from pathlib import Path

from litestar.testing import TestClient

from edge.app import create_app
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store
from edge.store.migrations import EDGE_MIGRATIONS
from sync.migrations import SYNC_MIGRATIONS

from support import MovableClock

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store_made_before_one_sequence.db.gz"
OLD_SETS = {"store-edge", "store-edge-join", "store-edge-sync", "store-edge-campaigns"}


def old_store(tmp_path: Path) -> Path:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    (data_dir / "store.db").write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return data_dir


def records(data_dir: Path) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "store.db")
    try:
        return conn.execute("SELECT id, migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
    finally:
        conn.close()


def schema(data_dir: Path) -> dict[tuple[str, str], object]:
    """Every table's columns and foreign keys, every index's and trigger's definition (spacing aside)."""
    conn = sqlite3.connect(data_dir / "store.db")
    out: dict[tuple[str, str], object] = {}
    for type_, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        if type_ == "table":
            out[(type_, name)] = (conn.execute(f"PRAGMA table_xinfo({name})").fetchall(),
                                  conn.execute(f"PRAGMA foreign_key_list({name})").fetchall())
        else:
            out[(type_, name)] = re.sub(r"\s+", " ", sql or "").strip()
    conn.close()
    return out


def test_the_fixture_was_made_by_the_four_migration_sets_of_before():
    with gzip.open(FIXTURE) as f:
        assert f.read(16) == b"SQLite format 3\x00"


def test_an_old_store_upgrades_running_only_the_new_steps_and_keeping_every_record(tmp_path):
    data_dir = old_store(tmp_path)
    before = records(data_dir)
    assert {r[1] for r in before} == OLD_SETS and len(before) == 9
    StoreRuntime(data_dir).close()
    after = records(data_dir)
    assert after[:len(before)] == before  # no step ran again: its record (and time) is untouched
    # the fixture predates edge step 8: exactly the steps from there on ran, in order
    assert [(r[1], r[2]) for r in after[len(before):]] == [m.recorded_as for m in EDGE_MIGRATIONS.steps[7:]]
    assert after[len(before)][1:3] == ("store-edge", "m008_member_directory")
    recorded = {(r[1], r[2]) for r in after}
    assert {m.recorded_as for m in EDGE_MIGRATIONS.steps + SYNC_MIGRATIONS.steps} == recorded  # none skipped
    StoreRuntime(data_dir).close()
    assert records(data_dir) == after  # opening again runs nothing


def test_an_upgraded_store_has_the_schema_of_a_store_made_today(tmp_path):
    data_dir = old_store(tmp_path)
    StoreRuntime(data_dir).close()
    init_store(tmp_path / "new", demo_config())
    assert schema(data_dir) == schema(tmp_path / "new")


def test_the_steps_are_numbered_in_one_sequence_per_package():
    for sequence in (EDGE_MIGRATIONS, SYNC_MIGRATIONS):
        assert [m.number for m in sequence.steps] == list(range(1, len(sequence.steps) + 1))
        assert len({m.recorded_as for m in sequence.steps}) == len(sequence.steps)


def test_an_upgraded_store_serves_its_members_and_sales(tmp_path):
    data_dir = old_store(tmp_path)
    store = StoreRuntime(data_dir, clock=MovableClock())
    try:
        with TestClient(create_app(store)) as client:
            conn = store.reader.conn
            key_count = conn.execute("SELECT count(*) FROM api_keys").fetchone()[0]
            assert key_count >= 3 and conn.execute("SELECT count(*) FROM sales").fetchone()[0] >= 10
            assert client.get("/healthz").json()["ok"] is True
            gold = conn.execute("SELECT tier_id FROM members WHERE phone_e164 = '+8613800138000'").fetchone()
            assert gold[0] == "silver"
    finally:
        store.close()
