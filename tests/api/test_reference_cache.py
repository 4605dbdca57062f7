"""Reference data (catalog, tiers, rules) is cached, and a committed change is seen at once."""

from edge.domain.models import Sku
from edge.services.runtime import bump_reference
from edge.store.catalog import upsert_skus


def test_a_price_change_committed_through_the_writer_shows_in_the_very_next_quote(api, store):
    assert api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1",
                                                     "lines": [{"sku": "LATTE", "qty": 1}]}).json()["total_fen"] == 2800

    def reprice(conn):
        upsert_skus(conn, [Sku(sku="LATTE", name_zh="拿铁", name_en="Latte", category="coffee", price_fen=2600,
                               track_stock=False)])
        bump_reference(conn)

    store.writer.call(reprice)
    quote = api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1",
                                                      "lines": [{"sku": "LATTE", "qty": 1}]})
    assert quote.json()["total_fen"] == 2600
