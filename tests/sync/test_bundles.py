"""Config bundles from HQ apply atomically on the edge; bad ones are refused with nothing applied."""

import hashlib

import msgspec

from edge.domain.identity import phone_hash
from edge.domain.models import Sku, Tier
from edge.store import meta
from sync.bundles import BundleBody, Campaign, DirectoryEntry, Erasure, Merge, seal_bundle

from builders import sale_body


def _key(store) -> bytes:
    return meta.get_secret(store.reader.conn, "sync_key")


def _post(api, envelope):  # noqa: ANN001, ANN202
    return api.post("/sync/v1/config", role="hq", content=msgspec.json.encode(envelope),
                    headers={"Content-Type": "application/json"})


def _body(version: int, **over) -> BundleBody:
    return BundleBody(store_id="demo-001", version=version, created_at="2026-11-24T01:00:00.000Z", **over)


GOLD_PLUS = Tier(tier_id="gold", name_zh="金卡会员", name_en="Gold", rank=2, discount_bps=1500,
                 points_multiplier_pct=200, upgrade_spend_fen=200_000)


def test_a_signed_bundle_updates_tiers_catalog_and_campaigns_and_records_its_version(api, store):
    body = _body(1, tiers=[GOLD_PLUS], catalog=[Sku(sku="MOONCAKE", name_zh="月饼", name_en="Mooncake",
                                                    category="pastry", price_fen=1200)],
                 campaigns=[Campaign(campaign_id="hq-welcome", kind="welcome",
                                     body={"name_en": "Welcome", "benefit": {"amount_off_fen": 500}, "store_cap": 40})])
    resp = _post(api, seal_bundle(_key(store), body))
    assert resp.status_code == 200, resp.text
    assert resp.json()["applied"] == {"tiers": 1, "catalog": 1, "campaigns": 1, "directory": 0, "merges": 0,
                                      "erasures": 0}
    assert store.reference().tiers["gold"].discount_bps == 1500  # the cached reference reloaded
    assert "MOONCAKE" in {x["sku"] for x in api.get("/api/v1/catalog").json()}
    row = store.reader.conn.execute("SELECT origin, body FROM campaigns WHERE campaign_id = 'hq-welcome'").fetchone()
    assert row[0] == "hq" and msgspec.json.decode(row[1])["store_cap"] == 40
    assert api.get("/sync/v1/status", role="hq").json()["config_version"] == 1


def test_an_older_or_replayed_version_is_refused_with_409(api, store):
    assert _post(api, seal_bundle(_key(store), _body(2))).status_code == 200
    for version in (2, 1):
        resp = _post(api, seal_bundle(_key(store), _body(version, tiers=[GOLD_PLUS])))
        assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "version"
        assert resp.json()["applied_version"] == 2
    assert store.reference().tiers["gold"].discount_bps == 1000


def test_a_bundle_with_one_byte_changed_or_the_wrong_key_or_address_is_refused_and_nothing_applied(api, store):
    good = seal_bundle(_key(store), _body(1, tiers=[GOLD_PLUS]))
    flipped = msgspec.structs.replace(good, body=good.body.replace('"discount_bps":1500', '"discount_bps":9500'))
    assert _post(api, flipped).json()["errors"][0]["field"] == "sha256"
    resigned = msgspec.structs.replace(flipped, sha256=hashlib.sha256(flipped.body.encode()).hexdigest())
    assert _post(api, resigned).json()["errors"][0]["field"] == "signature"
    forged = seal_bundle(b"k" * 32, _body(1, tiers=[GOLD_PLUS]))
    wrong = _post(api, forged)
    assert wrong.status_code == 422 and wrong.json()["errors"][0] == {
        "field": "signature", "reason": "not signed with this store's sync key"}
    elsewhere = seal_bundle(_key(store), msgspec.structs.replace(_body(1), store_id="other-store"))
    assert _post(api, elsewhere).json()["errors"][0]["field"] == "store_id"
    assert _post(api, b"not json").status_code in (400, 422)
    assert store.reference().tiers["gold"].discount_bps == 1000
    assert api.get("/sync/v1/status", role="hq").json()["config_version"] == 0


def test_a_bundle_that_fails_half_way_applies_nothing(api, store):
    broken_tier = msgspec.structs.replace(GOLD_PLUS, tier_id="platinum", rank=0)  # rank 0 is taken: UNIQUE fails
    body = _body(1, catalog=[Sku(sku="MOONCAKE", name_zh="月饼", name_en="Mooncake", category="pastry",
                                 price_fen=1200)], tiers=[broken_tier])
    resp = _post(api, seal_bundle(_key(store), body))
    assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "body"
    assert "MOONCAKE" not in {x["sku"] for x in api.get("/api/v1/catalog").json()}
    assert api.get("/sync/v1/status", role="hq").json()["config_version"] == 0


def test_a_member_from_another_store_is_found_by_phone_and_can_buy_after_the_bundle(api, store):
    phone = "+8613911112222"
    entry = DirectoryEntry(member_id="01-other-store-member", phone_hash=phone_hash(store.chain_key, phone),
                           home_store_id="store-a", joined_at="2026-11-01T02:00:00.000Z", tier_id="silver")
    assert api.get("/api/v1/members/lookup", params={"phone": "13911112222"}).status_code == 404
    assert _post(api, seal_bundle(_key(store), _body(1, directory=[entry]))).status_code == 200
    found = api.get("/api/v1/members/lookup", params={"phone": "13911112222"})
    assert found.status_code == 200 and found.json()["member_id"] == "01-other-store-member"
    assert found.json()["tier"]["tier_id"] == "silver"
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), member_id="01-other-store-member"))
    assert sale.status_code == 201 and sale.json()["member"]["member_id"] == "01-other-store-member"
    raw = store.reader.conn.execute("SELECT phone_e164, join_store_id FROM members WHERE member_id = ?",
                                    ("01-other-store-member",)).fetchone()
    assert tuple(raw) == (None, "store-a")  # no raw phone from elsewhere is stored here


def test_merges_alias_a_member_to_the_survivor_and_erasures_erase_by_member_id_never_by_phone_hash(api, store):
    phone = "+8613911113333"
    entry = DirectoryEntry(member_id="survivor", phone_hash=phone_hash(store.chain_key, phone),
                           home_store_id="store-a", joined_at="2026-11-01T02:00:00.000Z")
    local = api.post("/api/v1/members", json={"phone": "13800009999", "consent": {"policy_version": "2026-01",
                     "granted": True}, "source": "cashier", "lane_id": "L1", "cashier_id": "C1"}).json()["member_id"]
    other = DirectoryEntry(member_id="survivor-2", phone_hash=phone_hash(store.chain_key, "+8613800009999"),
                           home_store_id="store-b", joined_at="2026-10-01T02:00:00.000Z")
    bundle = _body(1, directory=[entry, other], merges=[Merge(alias_member_id=local, member_id="survivor")])
    assert _post(api, seal_bundle(_key(store), bundle)).status_code == 200
    assert api.get("/api/v1/members/lookup", params={"member_id": local}).json()["member_id"] == "survivor"
    # a directory member is materialised even when a local member has the phone; the phone finds the
    # local member, whose alias (from the merge) leads to the survivor
    assert store.reader.conn.execute("SELECT count(*) FROM members WHERE member_id = 'survivor-2'").fetchone()[0] == 1
    assert api.get("/api/v1/members/lookup", params={"phone": "13800009999"}).json()["member_id"] == "survivor"
    # an older HQ's tombstone by phone hash alone names nobody: it erases nobody
    by_hash = _body(2, base_version=1, erasures=[Erasure(phone_hash=phone_hash(store.chain_key, phone))])
    assert _post(api, seal_bundle(_key(store), by_hash)).json()["applied"]["erasures"] == 0
    assert api.get("/api/v1/members/lookup", params={"phone": "13911113333"}).status_code == 200
    # a tombstone naming the survivor erases it and the local member merged into it
    erase = _body(3, base_version=2, erasures=[Erasure(member_id="survivor", merged_ids=[local])])
    assert _post(api, seal_bundle(_key(store), erase)).json()["applied"]["erasures"] == 2
    assert api.get("/api/v1/members/lookup", params={"phone": "13911113333"}).status_code == 404
    assert api.get("/api/v1/members/lookup", params={"member_id": local}).status_code == 404
    # survivor-2 has the same phone but was never named: it lives on, and the phone now finds it
    assert api.get("/api/v1/members/lookup", params={"phone": "13800009999"}).json()["member_id"] == "survivor-2"
    outbox = store.reader.conn.execute("SELECT count(*) FROM outbox WHERE type = 'member.erased'").fetchone()[0]
    assert outbox == 0  # an erasure from HQ is not echoed back up


def test_a_bundle_built_on_a_version_the_store_never_applied_is_refused(api, store):
    resp = _post(api, seal_bundle(_key(store), _body(3, base_version=2)))
    assert resp.status_code == 409 and resp.json()["errors"][0]["field"] == "base_version"


def test_enrolling_a_phone_known_from_another_store_returns_that_member_instead_of_a_duplicate(api, store):
    phone = "+8613911114444"
    entry = DirectoryEntry(member_id="from-store-a", phone_hash=phone_hash(store.chain_key, phone),
                           home_store_id="store-a", joined_at="2026-11-01T02:00:00.000Z")
    assert _post(api, seal_bundle(_key(store), _body(1, directory=[entry]))).status_code == 200
    again = api.post("/api/v1/members", json={"phone": "13911114444", "consent": {"policy_version": "2026-01",
                     "granted": True}, "source": "cashier", "lane_id": "L1", "cashier_id": "C1"})
    assert again.status_code == 200 and again.json()["member_id"] == "from-store-a"
    assert store.reader.conn.execute("SELECT count(*) FROM members").fetchone()[0] == 1
