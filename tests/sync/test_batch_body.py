"""A batch body built by SQLite in one step is byte for byte what `encode_lines` makes of the rows,
and anything it cannot build safely is built in Python instead."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.domain.clock import iso
from edge.domain.ids import uuid7
from edge.store.connection import connect, open_database
from edge.store.migrations import migrate
from sync.batches import _next_body, encode_lines

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
payload_st = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | text,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                          max_leaves=8)
event_st = st.tuples(st.sampled_from(["sale.completed", "member.joined", 'odd"type', "back\\slash", "new\nline"]),
                     payload_st)


def _rows(conn, after: int, limit: int) -> list[tuple]:
    return conn.execute("SELECT seq, event_id, type, occurred_at, payload FROM outbox WHERE seq > ? ORDER BY seq "
                        "LIMIT ?", (after, limit)).fetchall()


@settings(max_examples=60, deadline=None)
@given(st.lists(event_st, min_size=1, max_size=30), st.integers(0, 5), st.integers(1, 40))
def test_the_sql_body_is_the_encoded_lines_of_the_same_events(events, after, limit):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        migrate(open_database(path))
        conn = connect(path)
        with conn:
            # rows as the outbox holds them, with types no event of ours has: the body must cope anyway
            for type_, payload in events:
                conn.execute("INSERT INTO outbox (event_id, type, occurred_at, payload) VALUES (?, ?, ?, ?)",
                             (uuid7(), type_, iso(NOW), msgspec.json.encode({"v": payload, "名": "拿铁"})))
        rows = _rows(conn, after, limit)
        found = _next_body(conn, after, limit)
        if not rows:
            assert found is None
        else:
            count, first, last, oldest, body = found
            assert (count, first, last, oldest) == (len(rows), rows[0][0], rows[-1][0], min(r[3] for r in rows))
            assert body == encode_lines(rows)
        conn.close()
