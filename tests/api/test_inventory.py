"""Stock on hand, one SKU or many; bulk is all or nothing."""


def stock(api) -> dict:
    return {i["sku"]: i["on_hand"] for i in api.get("/api/v1/catalog").json()}


def test_the_manager_sets_one_skus_stock_and_the_catalog_shows_it(api):
    r = api.put("/api/v1/inventory/EGG-TART", json={"on_hand": 7})
    assert r.status_code == 200 and r.json() == {"sku": "EGG-TART", "on_hand": 7}
    assert stock(api)["EGG-TART"] == 7
    assert stock(api)["LATTE"] is None  # drinks are made to order: not counted


def test_bulk_stock_with_one_unknown_sku_changes_nothing(api):
    before = stock(api)
    r = api.post("/api/v1/inventory", role="manager",
                 json={"items": [{"sku": "EGG-TART", "on_hand": 1}, {"sku": "UNICORN", "on_hand": 2}]})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "items[1].sku", "reason": "unknown SKU 'UNICORN'"}]
    assert stock(api) == before


def test_bulk_stock_sets_every_item(api):
    r = api.post("/api/v1/inventory", role="manager",
                 json={"items": [{"sku": "EGG-TART", "on_hand": 1}, {"sku": "CROISSANT", "on_hand": 2}]})
    assert r.status_code == 200
    assert (stock(api)["EGG-TART"], stock(api)["CROISSANT"]) == (1, 2)


def test_negative_stock_and_unknown_sku_are_refused(api):
    assert api.put("/api/v1/inventory/EGG-TART", json={"on_hand": -1}).json()["errors"][0]["field"] == "on_hand"
    assert api.put("/api/v1/inventory/NOPE", json={"on_hand": 1}).json()["errors"][0]["field"] == "sku"
