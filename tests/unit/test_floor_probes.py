"""The floor bench's probes do the work their ceilings claim: a spine quote prices, a spine write lands every row."""

import importlib
import sqlite3

from litestar.testing import TestClient


def test_the_spine_probes_price_and_write_what_the_floor_bench_says(tmp_path, monkeypatch):
    db = tmp_path / "floor.db"
    monkeypatch.setenv("FLOOR_DB", str(db))
    import bench.floor_app as floor
    floor = importlib.reload(floor)  # picks up FLOOR_DB
    floor.prepare(str(db))
    lines = [{"sku": "LATTE", "qty": 2}, {"sku": "CROISSANT", "qty": 1}]
    with TestClient(app=floor.app) as client:
        quote = client.post("/spine-quote", json={"member_id": "M1", "lines": lines}).json()
        bp = 1000 + (500 if quote["member_day"] else 0)  # gold, and the Friday boost
        assert [x["discount_fen"] for x in quote["lines"]] == [(6400 * bp + 5000) // 10000, (1800 * bp + 5000) // 10000]
        assert quote["total_fen"] == 8200 - quote["discount_fen"]
        assert client.post("/write", json={"sale_id": "w1", "member_id": "M1", "total_fen": 1}).status_code == 201
        answer = client.post("/spine-write", json={"sale_id": "s1", "member_id": "M1", "total_fen": 8200,
                                                    "lines": lines})
        assert answer.status_code == 201
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sales").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM spine_lines WHERE sale_id = 's1'").fetchone() == (2,)
    assert conn.execute("SELECT on_hand FROM inventory WHERE sku = 'LATTE'").fetchone() == (1_000_000_000 - 2,)
    assert conn.execute("SELECT points FROM ledger WHERE sale_id = 's1'").fetchone() == (82,)
    assert conn.execute("SELECT spend_fen, points FROM spend").fetchone() == (8200, 82)
    assert [r[0] for r in conn.execute("SELECT type FROM outbox ORDER BY seq")] == ["sale.completed", "points.entry"]
    conn.close()
