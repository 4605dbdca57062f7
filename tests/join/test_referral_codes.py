"""Referral codes people can say: 8 characters without look-alikes, typed at the till or on the join
page, unguessable within the join page's limits; the long codes handed out before still work."""

from pathlib import Path

import pytest
from join_helpers import csrf_of, join_by_form, path_of
from litestar.testing import TestClient

from edge.app import create_app
from edge.domain.referral import CODE_LENGTH, SAYABLE, new_code, referral_code, short_code_of, spoken
from edge.pages.ratelimit import RateLimits, TokenBucket
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store
from edge.store.connection import open_database
from edge.store.migrations import EDGE_MIGRATIONS

from builders import enrol_body


def code_of(api, member_id: str) -> str:
    return api.get(f"/api/v1/members/{member_id}/referral-code").json()["referral_code"]


def enrol(api, phone: str, **over) -> str:
    r = api.post("/api/v1/members", json=enrol_body(phone, **over))
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


def test_the_alphabet_has_no_look_alikes_and_a_code_is_eight_of_them():
    assert not set("0O1IL") & set(SAYABLE) and len(set(SAYABLE)) == 31
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(c) == CODE_LENGTH and set(c) <= set(SAYABLE) for c in codes)


@pytest.mark.parametrize(("typed", "found"), [
    ("K7QM-3XPA", "K7QM3XPA"), ("k7qm 3xpa", "K7QM3XPA"), ("K7QM3XPA", "K7QM3XPA"), ("k7qm\u30003xpa", "K7QM3XPA"),
    ("K7QM-3XP0", None), ("K7QM-3XPO", None), ("K7QM-3XP", None), ("K7QM-3XPAA", None)])
def test_a_typed_code_forgives_case_spaces_and_dashes_but_not_look_alikes(typed, found):
    assert short_code_of(typed) == found


def test_a_member_gets_a_code_of_nine_characters_to_read_out_and_a_friend_enrols_with_it(api, store):
    referrer = enrol(api, "13800138000")
    code = code_of(api, referrer)
    assert len(code) == 9 and code[4] == "-" and spoken(code.replace("-", "")) == code
    referee = enrol(api, "13900139000", referral_code=code.lower())
    assert store.reader.conn.execute("SELECT referrer_id FROM members WHERE member_id = ?",
                                     (referee,)).fetchone()[0] == referrer


def test_the_long_code_of_a_member_still_works(api, store):
    referrer = enrol(api, "13800138000")
    referee = enrol(api, "13900139000", referral_code=referral_code(referrer))
    assert store.reader.conn.execute("SELECT referrer_id FROM members WHERE member_id = ?",
                                     (referee,)).fetchone()[0] == referrer


def test_an_erased_members_code_no_longer_refers_anyone(api, store):
    referrer = enrol(api, "13800138000")
    code = code_of(api, referrer)
    erased = api.post(f"/api/v1/members/{referrer}/erasure", role="manager",
                      json={"reason": "asked at the counter", "recorded_by": "Wang Li"})
    assert erased.status_code == 200
    assert store.reader.conn.execute("SELECT count(*) FROM referral_codes WHERE member_id = ?",
                                     (referrer,)).fetchone()[0] == 0
    r = api.post("/api/v1/members", json=enrol_body("13900139000", referral_code=code))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "referral_code"


def test_an_unknown_short_code_is_refused_naming_the_field(api):
    r = api.post("/api/v1/members", json=enrol_body(referral_code="ABCD-EFGH"))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "referral_code"


def test_a_friend_types_the_code_on_the_join_page(api, store):
    referrer = enrol(api, "13800138000")
    url = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()["url"]
    assert join_by_form(api.client, url, "13900139000", invite_code=code_of(api, referrer)).status_code == 303
    assert store.reader.conn.execute("SELECT referrer_id FROM members WHERE phone_e164 = '+8613900139000'"
                                     ).fetchone()[0] == referrer


def test_a_wrong_code_on_the_join_page_says_so_and_nobody_joins(api, store):
    url = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()["url"]
    r = join_by_form(api.client, url, "13900139000", invite_code="ABCD-EFGH")
    assert r.status_code == 422 and 'data-field="invite_code"' in r.text and 'value="ABCD-EFGH"' in r.text
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 0


def test_guessing_codes_on_the_join_page_runs_into_the_invite_code_limit(store, api):
    app = create_app(store)
    app.state.rate_limits = RateLimits(invite=TokenBucket(capacity=3, per_second=0.0001))
    url = api.post("/api/v1/standees", json={"label": "门口"}, role="manager").json()["url"]
    with TestClient(app) as client:
        statuses = []
        for n in range(5):
            page = client.get(path_of(url))
            form = {"csrf": csrf_of(page.text), "phone": f"1390013900{n}", "consent": "yes",
                    "invite_code": new_code()}
            statuses.append(client.post(path_of(url), data=form).status_code)
    assert statuses == [422, 422, 422, 429, 429]


def test_members_who_joined_before_codes_were_short_get_one_when_the_store_upgrades(tmp_path: Path, clock):
    data_dir = tmp_path / "old"
    init_store(data_dir, demo_config(), clock=clock)
    db = open_database(data_dir / "store.db")
    # the store as it was: a member joined before referral codes were stored
    db.execute("DROP TABLE referral_codes")
    db.execute("DROP TABLE policies")
    # recorded as the join set's step, as the branch that made it did: the one sequence knows that record
    step = next(m for m in EDGE_MIGRATIONS.steps if m.apply.__name__ == "m012_sayable_codes_and_policies")
    assert step.recorded_as == ("store-edge-join", "m002_sayable_codes_and_policies")
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = ? AND name = ?", step.recorded_as)
    db.execute("INSERT INTO tiers VALUES ('regular', '普通', 'Regular', 0, 0, 100, 0)")
    db.execute("INSERT INTO members (member_id, phone_e164, tier_id, joined_at, join_store_id, join_source, "
               "updated_at) VALUES ('01936b2e-7c3a-7def-8123-456789abcdef', '+8613800138000', 'regular', "
               "'2026-01-01T00:00:00.000Z', 'demo-001', 'cashier', '2026-01-01T00:00:00.000Z')")
    db.conn.commit()
    db.conn.close()
    upgraded = StoreRuntime(data_dir, clock=clock)
    try:
        code = upgraded.reader.conn.execute("SELECT code FROM referral_codes").fetchone()[0]
        assert short_code_of(code) == code
    finally:
        upgraded.close()
