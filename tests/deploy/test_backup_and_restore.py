"""`store-edge backup` keeps N checked copies and a second copy; `restore` is refused when unsafe and
otherwise keeps the current file aside and starts a new sync epoch."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.config import StoreConfig
from edge.services.backup import integrity_errors, list_backups, take_backup
from edge.services.setup import init_store

from ops_support import Served, cli


class Ticking:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now


def _meta(path: Path, key: str) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def test_backups_are_checked_kept_n_and_copied_to_a_second_place(store_dir, tmp_path):
    data_dir, _ = store_dir
    clock = Ticking()
    first = take_backup(data_dir, tmp_path / "b", keep=3, copy_to=tmp_path / "usb", clock=clock)
    for _ in range(4):
        last = take_backup(data_dir, tmp_path / "b", keep=3, copy_to=tmp_path / "usb", clock=clock)
    kept = list_backups(tmp_path / "b")
    assert len(kept) == 3 and kept[-1].path == last.backup.path and first.backup.path not in [b.path for b in kept]
    assert [b.path.name for b in list_backups(tmp_path / "usb")] == [b.path.name for b in kept]
    assert all(integrity_errors(b.path) == [] for b in kept)
    assert not list((tmp_path / "b").glob(".*"))  # no partial file left behind
    with sqlite3.connect(last.backup.path) as conn:  # one self-contained file, not a WAL database
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_the_backup_command_prints_what_it_did_and_lists(store_dir, tmp_path):
    data_dir, _ = store_dir
    done = cli("backup", "--data-dir", str(data_dir), "--to", str(tmp_path / "b"), "--copy-to", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout and f"copied to {tmp_path / 'c'}" in done.stdout
    listed = cli("backup", "--list", "--data-dir", str(data_dir), "--to", str(tmp_path / "b"))
    assert listed.stdout.count("\n") == 1 and "regular" in listed.stdout


def test_restore_keeps_the_current_file_aside_and_starts_a_new_epoch(store_dir, tmp_path):
    data_dir, _ = store_dir
    done = cli("backup", "--data-dir", str(data_dir), "--to", str(tmp_path / "b"))
    backup = Path(done.stdout.split()[1])
    old_epoch = _meta(data_dir / "store.db", "epoch_id")
    restored = cli("restore", str(backup), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    (aside,) = (data_dir / "replaced").glob("store-*.db")
    assert _meta(aside, "epoch_id") == old_epoch
    new_epoch = _meta(data_dir / "store.db", "epoch_id")
    assert new_epoch not in (None, old_epoch)
    assert old_epoch in (_meta(data_dir / "store.db", "sync.past_epochs") or "")
    assert _meta(backup, "epoch_id") == old_epoch  # the backup itself is untouched, for another try


def test_restore_is_refused_while_the_store_is_served(store_dir, tmp_path):
    data_dir, _ = store_dir
    backup = Path(cli("backup", "--data-dir", str(data_dir), "--to", str(tmp_path / "b")).stdout.split()[1])
    before = (data_dir / "store.db").stat().st_ino
    with Served(data_dir):
        refused = cli("restore", str(backup), "--data-dir", str(data_dir))
    assert refused.returncode == 1 and "stop the service first" in refused.stderr
    assert (data_dir / "store.db").stat().st_ino == before and not (data_dir / "replaced").exists()


def test_a_second_server_on_the_same_store_is_refused(store_dir):
    data_dir, _ = store_dir
    with Served(data_dir):
        second = cli("serve", "--data-dir", str(data_dir), "--port", "1")
    assert second.returncode == 78 and "in use by pid" in second.stderr


def test_restore_refuses_another_stores_backup_and_a_damaged_file(store_dir, tmp_path):
    data_dir, _ = store_dir
    other = tmp_path / "other"
    init_store(other, StoreConfig(store_id="someone-else", name="Other"))
    backup = Path(cli("backup", "--data-dir", str(other), "--to", str(tmp_path / "b")).stdout.split()[1])
    refused = cli("restore", str(backup), "--data-dir", str(data_dir))
    assert refused.returncode == 1 and "store someone-else's backup" in refused.stderr
    assert _meta(data_dir / "store.db", "store_id") == "demo-001"

    damaged = tmp_path / "damaged.db"
    raw = bytearray(backup.read_bytes())
    raw[4096 * 2: 4096 * 2 + 512] = b"\xff" * 512  # a torn page inside the file
    damaged.write_bytes(bytes(raw))
    refused = cli("restore", str(damaged), "--data-dir", str(data_dir))
    assert refused.returncode == 1 and "integrity" in refused.stderr
    assert not (data_dir / "replaced").exists()
