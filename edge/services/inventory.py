"""Stock on hand, set by the manager one SKU at a time or in bulk (all or nothing)."""

import sqlite3

from ..domain.errors import Problems
from ..schemas import CatalogItemOut, StockItem, StockOut
from ..store import catalog as repo
from .runtime import StoreRuntime


async def set_stock(store: StoreRuntime, items: list[StockItem], field: str = "items") -> list[StockOut]:
    """Set stock for every item, or for none when any SKU is unknown."""
    catalog = store.reference().catalog
    problems = Problems()
    for i, item in enumerate(items):
        if item.sku not in catalog:
            problems.add(f"{field}[{i}].sku" if field else "sku", f"unknown SKU {item.sku!r}")
    problems.raise_if_any()

    def command(conn: sqlite3.Connection) -> list[StockOut]:
        now = store.clock()
        for item in items:
            repo.set_stock(conn, item.sku, item.on_hand, now)
        return [StockOut(item.sku, item.on_hand) for item in items]

    return await store.writer.run(command)


def catalog_with_stock(store: StoreRuntime) -> list[CatalogItemOut]:
    stock = repo.stock_levels(store.reader.conn)
    return [CatalogItemOut(sku=s.sku, name_zh=s.name_zh, name_en=s.name_en, category=s.category, price_fen=s.price_fen,
                           perishable=s.perishable, track_stock=s.track_stock, on_hand=stock.get(s.sku))
            for s in sorted(store.reference().catalog.values(), key=lambda s: s.sku)]
