"""The running counts behind campaign caps always equal a sum over the uses themselves."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.store import campaigns as repo
from edge.store.connection import connect, open_database
from edge.store.migrations import migrate

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CAMPAIGNS, DAYS, MEMBERS = ["a", "b"], ["2026-11-22", "2026-11-23"], [None, "m1", "m2"]

steps = st.lists(st.one_of(
    st.tuples(st.just("use"), st.sampled_from(CAMPAIGNS), st.sampled_from(DAYS), st.sampled_from(MEMBERS),
              st.integers(0, 3)),
    st.tuples(st.just("void"), st.integers(0, 30))), max_size=30)


def summed(conn, campaign_id: str, day: str, member_id: str | None) -> tuple[int, int, int]:
    """What the caps counted before there were counts: a sum over the active uses."""
    weight = "CASE WHEN units > 0 THEN units ELSE 1 END"
    return tuple(conn.execute(
        f"SELECT coalesce(sum({weight}), 0), coalesce(sum(CASE WHEN business_day = ? THEN {weight} END), 0), "
        f"coalesce(sum(CASE WHEN member_id IS ? AND ? IS NOT NULL THEN {weight} END), 0) "
        "FROM campaign_uses WHERE status = 'active' AND campaign_id = ?",
        (day, member_id, member_id, campaign_id)).fetchone())


@settings(max_examples=60, deadline=None)
@given(steps)
def test_counts_follow_every_use_and_void(plan):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path))
        conn = connect(path)
        sales: list[str] = []
        conn.execute("BEGIN IMMEDIATE")
        for n, step in enumerate(plan):
            if step[0] == "use":
                _, campaign, day, member, units = step
                sale = f"s{n}"
                repo.record_use(conn, sale, campaign, campaign, None, member, day, units, 100, NOW)
                sales.append(sale)
            elif sales:
                repo.void_uses(conn, sales[step[1] % len(sales)])  # voiding twice gives nothing back twice
        conn.execute("COMMIT")
        for campaign in CAMPAIGNS:
            for day in DAYS:
                for member in MEMBERS:
                    got = repo.usage(conn, [campaign], day, member).get(campaign, repo.Usage())
                    assert (got.total, got.today, got.member) == summed(conn, campaign, day, member)
        conn.close()


def test_a_store_with_uses_from_before_the_counts_gets_them_filled(tmp_path):
    path = tmp_path / "store.db"
    db = open_database(path)
    migrate(db)
    conn = db.conn
    # back to the schema before the counts: no table, no triggers
    conn.executescript("DROP TRIGGER campaign_use_counted; DROP TRIGGER campaign_use_voided; "
                       "DROP TABLE campaign_use_counts; DELETE FROM _sqlite_migrations "
                       "WHERE name IN ('m002_campaign_use_counts', 'm003_campaign_use_count_triggers')")
    conn.executemany("INSERT INTO campaign_uses (sale_id, offer_id, campaign_id, member_id, business_day, units, "
                     "amount_fen, at, status) VALUES (?, 'a', 'a', ?, ?, ?, 100, 'x', ?)",
                     [("s1", "m1", "2026-11-23", 2, "active"), ("s2", None, "2026-11-23", 0, "active"),
                      ("s3", "m1", "2026-11-22", 1, "voided")])
    migrate(db)
    got = repo.usage(conn, ["a"], "2026-11-23", "m1")["a"]
    assert (got.total, got.today, got.member) == (3, 3, 2)
    repo.void_uses(conn, "s1")  # and the triggers keep them from then on
    got = repo.usage(conn, ["a"], "2026-11-23", "m1")["a"]
    assert (got.total, got.today, got.member) == (1, 1, 0)
