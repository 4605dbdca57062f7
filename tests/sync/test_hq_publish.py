"""Building bundles at HQ: chain-wide caps leased to stores, deltas since what each store applied."""

import msgspec
import pytest

from sync.bundles import verify_bundle
from sync.hq import identity, publish
from sync.hq.stores import StoreEntry


@pytest.mark.parametrize(("total", "stores", "expected"), [
    (10, ["b", "a", "c"], {"a": 4, "b": 3, "c": 3}),
    (2, ["a", "b", "c"], {"a": 1, "b": 1, "c": 0}),
    (0, ["a"], {"a": 0}),
    (5, [], {}),
])
def test_a_chain_wide_cap_is_split_evenly_and_the_leases_add_up_to_it(total, stores, expected):
    leases = publish.split_cap(total, stores)
    assert leases == expected and sum(leases.values()) == (total if stores else 0)


def test_a_store_gets_only_campaigns_in_its_scope_with_its_own_lease_as_store_cap():
    config = msgspec.convert({"campaigns": [
        {"campaign_id": "flash", "kind": "flash_inventory", "body": {"x": 1}, "chain_cap": 7},
        {"campaign_id": "set", "kind": "manual", "body": {}, "chain_cap": 9, "store_caps": {"s1": 9}},
        {"campaign_id": "only-s2", "kind": "manual", "body": {"y": 2}, "stores": ["s2"]},
    ]}, publish.HqConfig)
    s1 = {c.campaign_id: c.body for c in publish.campaigns_for(config, "s1", ["s1", "s2"])}
    s2 = {c.campaign_id: c.body for c in publish.campaigns_for(config, "s2", ["s1", "s2"])}
    assert s1 == {"flash": {"x": 1, "store_cap": 4}, "set": {"store_cap": 9}}
    assert s2 == {"flash": {"x": 1, "store_cap": 3}, "set": {"store_cap": 0}, "only-s2": {"y": 2}}


def test_each_bundle_carries_directory_and_alias_changes_newer_than_the_stores_version(wh):
    conn = wh
    key = "11" * 32
    s1 = StoreEntry(store_id="s1", url="http://127.0.0.1:1", key="k", sync_key=key)
    identity.member_joined(conn, "s2", "m-a", "ph-a", "2026-11-01T00:00:00.000Z")
    v1 = publish.next_version(conn)
    first = verify_bundle(bytes.fromhex(key), "s1",
                          publish.bundle_for(conn, s1, publish.HqConfig(), ["s1", "s2"], v1, 0, _now()))
    assert [d.member_id for d in first.directory] == ["m-a"] and first.merges == []
    identity.member_joined(conn, "s1", "m-b", "ph-a", "2026-11-05T00:00:00.000Z")  # same person, later, here
    v2 = publish.next_version(conn)
    second = verify_bundle(bytes.fromhex(key), "s1",
                           publish.bundle_for(conn, s1, publish.HqConfig(), ["s1", "s2"], v2, v1, _now()))
    assert second.version == 2 and second.base_version == 1
    assert second.directory == []  # m-a was sent in v1; m-b is this store's own member
    assert [(m.alias_member_id, m.member_id) for m in second.merges] == [("m-b", "m-a")]
    full = verify_bundle(bytes.fromhex(key), "s1",
                         publish.bundle_for(conn, s1, publish.HqConfig(), ["s1", "s2"], v2, 0, _now()))
    assert [d.member_id for d in full.directory] == ["m-a"]  # a store starting from scratch gets all of it


def _now():  # noqa: ANN202
    from datetime import UTC, datetime

    return datetime(2026, 11, 24, tzinfo=UTC)
