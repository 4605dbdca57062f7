"""Every route in the served OpenAPI document x every kind of caller, against the table below.

Callers: no key, a wrong key, a revoked key, another store's key, and the lane, manager and hq keys.
A key that is not a live key of this store is a 401 problem; a live key of a role the route does
not take is a 403 problem; a role it takes gets past the gate (whatever the empty body then earns).
A route the document serves without an entry here fails the test, and so does an entry for a route
that is gone: a new route must say who may call it.
"""

from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.services import keys as key_service
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo
from edge.store.keys import revoke

from support import MovableClock

PUBLIC = "public"
LANE, MANAGER, HQ = "lane", "manager", "hq"
ROLES = (LANE, MANAGER, HQ)

# (method, path) -> the roles that may call it, or PUBLIC for no key at all
WHO_MAY_CALL: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/v1/catalog"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/pricebook"): frozenset({LANE, MANAGER}),
    ("POST", "/api/v1/members"): frozenset({LANE}),
    ("GET", "/api/v1/members/lookup"): frozenset({LANE, MANAGER}),
    ("POST", "/api/v1/checkouts/quote"): frozenset({LANE}),
    ("GET", "/api/v1/checkouts/{checkout_id}"): frozenset({LANE, MANAGER}),
    ("DELETE", "/api/v1/checkouts/{checkout_id}"): frozenset({LANE, MANAGER}),
    ("POST", "/api/v1/sales"): frozenset({LANE}),
    ("POST", "/api/v1/sales/{sale_id}/void"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/sales/{sale_id}"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/exceptions"): frozenset({MANAGER}),
    ("POST", "/api/v1/exceptions/{exception_id}/resolve"): frozenset({MANAGER}),
    ("GET", "/api/v1/reports/join-rate"): frozenset({MANAGER}),
    ("GET", "/api/v1/reports/segments"): frozenset({MANAGER}),
    ("POST", "/api/v1/inventory"): frozenset({MANAGER}),
    ("PUT", "/api/v1/inventory/{sku}"): frozenset({MANAGER}),
    ("GET", "/api/v1/campaigns"): frozenset({MANAGER}),
    ("POST", "/api/v1/campaigns"): frozenset({MANAGER}),
    ("POST", "/api/v1/campaigns/maintenance"): frozenset({MANAGER, HQ}),
    ("POST", "/api/v1/coupons"): frozenset({MANAGER}),
    ("GET", "/api/v1/members/{member_id}/coupons"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/members/{member_id}/referral-code"): frozenset({LANE, MANAGER}),
    ("PUT", "/api/v1/members/{member_id}/birthday"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/join-offers"): frozenset({LANE, MANAGER}),
    ("PUT", "/api/v1/join-offers"): frozenset({MANAGER}),
    ("GET", "/api/v1/policies"): frozenset({MANAGER}),
    ("POST", "/api/v1/policies"): frozenset({MANAGER}),
    ("POST", "/api/v1/members/{member_id}/page-link"): frozenset({LANE, MANAGER}),
    ("POST", "/api/v1/members/{member_id}/erasure"): frozenset({MANAGER}),
    ("GET", "/api/v1/points-policy"): frozenset({MANAGER}),
    ("PUT", "/api/v1/points-policy"): frozenset({MANAGER}),
    ("GET", "/api/v1/standees"): frozenset({MANAGER}),
    ("POST", "/api/v1/standees"): frozenset({MANAGER}),
    ("POST", "/api/v1/standees/{standee_id}/revoke"): frozenset({MANAGER}),
    ("GET", "/api/v1/standees/{standee_id}/poster.png"): frozenset({MANAGER}),
    ("GET", "/api/v1/standees/{standee_id}/poster.pdf"): frozenset({MANAGER}),
    ("POST", "/api/v1/sales/{sale_id}/print"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/sales/{sale_id}/receipt.png"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/sales/{sale_id}/print-jobs"): frozenset({LANE, MANAGER}),
    ("GET", "/api/v1/print-jobs"): frozenset({MANAGER}),
    ("POST", "/api/v1/print-jobs/{job_id}/reprint"): frozenset({MANAGER}),
    ("POST", "/api/v1/coupons/{code}/print"): frozenset({LANE}),
    ("POST", "/api/v1/standees/{standee_id}/print"): frozenset({MANAGER}),
    ("GET", "/sync/v1/batches"): frozenset({HQ}),
    ("GET", "/sync/v1/batches/{batch_seq}"): frozenset({HQ}),
    ("POST", "/sync/v1/ack"): frozenset({HQ}),
    ("POST", "/sync/v1/config"): frozenset({HQ}),
    ("GET", "/sync/v1/status"): frozenset({HQ}),
}
PATH_VALUES = {"batch_seq": "1", "job_id": "1"}  # any other path value: an id that exists nowhere


@pytest.fixture
def callers(tmp_path: Path, store: StoreRuntime, store_dir, monkeypatch) -> dict[str, str | None]:
    """Authorization tokens per kind of caller (None: no header at all)."""
    monkeypatch.setattr(key_service, "CACHE_SECONDS", 0.0)
    clock = MovableClock()
    key_id, revoked = store.writer.call(lambda c: key_service.create_key(c, "manager", clock(), "gone"))
    store.writer.call(lambda c: revoke(c, key_id, clock()))
    other_dir = tmp_path / "other-store"
    init_store(other_dir, demo_config(store_id="other-001"), clock=clock)
    other = seed_demo(other_dir, clock=clock)["manager"]
    live = store_dir[1]
    return {"no key": None, "wrong key": "se_manager_not-a-key-of-anyone", "revoked key": revoked,
            "another store's key": other, LANE: live[LANE], MANAGER: live[MANAGER], HQ: live[HQ]}


def expected(rule: frozenset[str] | str, caller: str) -> str:
    if rule == PUBLIC:
        return "through"
    if caller not in ROLES:
        return "401"
    return "through" if caller in rule else "403"


def test_every_route_answers_each_caller_as_the_table_says(store: StoreRuntime, callers):
    with TestClient(create_app(store)) as client:
        doc = client.get("/schema/openapi.json").json()
        served = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
        assert served - WHO_MAY_CALL.keys() == set(), "routes without an entry in WHO_MAY_CALL"
        assert WHO_MAY_CALL.keys() - served == set(), "entries for routes the document no longer serves"
        wrong = []
        for (method, template), rule in sorted(WHO_MAY_CALL.items()):
            path = template
            for name in [p["name"] for p in doc["paths"][template][method.lower()].get("parameters", [])
                         if p["in"] == "path"]:
                path = path.replace("{" + name + "}", PATH_VALUES.get(name, "no-such-id"))
            for caller, token in callers.items():
                headers = {} if token is None else {"Authorization": f"Bearer {token}"}
                r = client.request(method, path, headers=headers, json={} if method in ("POST", "PUT") else None)
                want = expected(rule, caller)
                got = str(r.status_code) if r.status_code in (401, 403) else "through"
                if got != want or (r.status_code >= 400 and not r.headers["content-type"].startswith(
                        "application/problem+json")) or r.status_code >= 500:
                    wrong.append(f"{method} {path} as {caller}: {r.status_code}, wanted {want}")
        assert not wrong, "\n".join(wrong)


def test_the_matrix_would_catch_a_route_that_forgot_its_role(store: StoreRuntime, callers):
    """The table is not vacuous: a route that let any key through shows up as a mismatch."""
    rule = WHO_MAY_CALL[("GET", "/api/v1/reports/join-rate")]
    assert expected(rule, LANE) == "403" and expected(rule, "revoked key") == "401"
    with TestClient(create_app(store)) as client:
        r = client.get("/api/v1/reports/join-rate", headers={"Authorization": f"Bearer {callers[LANE]}"})
        assert r.status_code == 403
