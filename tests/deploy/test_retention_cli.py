"""`store-edge retention`: what is due, the days kept (stored in the store's config), a run now."""

import sqlite3

from edge.store import meta

from ops_support import cli


def test_retention_shows_what_is_due_and_sets_the_days_kept(store_dir):
    data_dir, _ = store_dir
    shown = cli("retention", "--data-dir", str(data_dir))
    assert shown.returncode == 0, shown.stderr
    assert "keeps 400 days of sales" in shown.stdout and "0 sales" in shown.stdout

    changed = cli("retention", "--data-dir", str(data_dir), "--days", "730", "--now")
    assert changed.returncode == 0, changed.stderr
    assert "deleted 0 sales" in changed.stdout and "keeps 730 days" in changed.stdout
    with sqlite3.connect(data_dir / "store.db") as conn:
        assert meta.load_config(conn).retention_days == 730

    assert "every sale is kept" in cli("retention", "--data-dir", str(data_dir), "--days", "0").stdout
    refused = cli("retention", "--data-dir", str(data_dir), "--days", "-1")
    assert refused.returncode != 0 and "--days" in refused.stderr
    with sqlite3.connect(data_dir / "store.db") as conn:
        assert meta.load_config(conn).retention_days == 0
