"""Keys per role: 401 without a valid key, 403 with the wrong role; revoked keys stop working."""

import pytest

from edge.services import keys as key_service
from edge.store.keys import revoke

from builders import enrol_body


@pytest.mark.parametrize(("method", "path", "allowed", "denied"), [
    ("post", "/api/v1/members", "lane", "manager"),
    ("post", "/api/v1/checkouts/quote", "lane", "hq"),
    ("post", "/api/v1/sales", "lane", "manager"),
    ("get", "/api/v1/reports/join-rate", "manager", "lane"),
    ("put", "/api/v1/inventory/CROISSANT", "manager", "lane"),
    ("post", "/api/v1/inventory", "manager", "hq"),
])
def test_each_endpoint_wants_its_role(api, method, path, allowed, denied):
    call = getattr(api, method)
    body = {"json": {}} if method != "get" else {}
    assert call(path, role=None, **body).status_code == 401
    assert call(path, role=None, headers={"Authorization": "Bearer se_lane_forged"}, **body).status_code == 401
    r = call(path, role=denied, **body)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert call(path, role=allowed, **body).status_code not in (401, 403)


def test_health_needs_no_key_and_tells_the_outbox_depth(api):
    api.post("/api/v1/members", json=enrol_body())
    r = api.get("/healthz", role=None)
    assert r.status_code == 200
    assert r.json()["database_writable"] is True and r.json()["outbox_depth"] == 1


def test_a_revoked_key_is_refused_once_the_cache_expires(api, store, monkeypatch):
    monkeypatch.setattr(key_service, "CACHE_SECONDS", 0.0)
    key_id, token = store.writer.call(lambda c: key_service.create_key(c, "lane", store.clock(), "till 9"))
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/catalog", role=None, headers=headers).status_code == 200
    store.writer.call(lambda c: revoke(c, key_id, store.clock()))
    assert api.get("/api/v1/catalog", role=None, headers=headers).status_code == 401


def test_keys_are_stored_only_as_hashes(store, store_dir):
    stored = store.reader.conn.execute("SELECT key_hash FROM api_keys").fetchall()
    tokens = store_dir[1].values()
    assert stored and all(token not in {h for (h,) in stored} for token in tokens)
    assert {key_service.hash_key(t) for t in tokens} <= {h for (h,) in stored}
