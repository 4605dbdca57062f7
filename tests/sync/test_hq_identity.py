"""Unified identity at HQ, on both engines: one person across stores, earliest join surviving, merges reversible."""

from datetime import UTC, datetime

import msgspec
import pytest

from sync.hq import identity, warehouse
from sync.wire import BatchHeader

NOW = datetime(2026, 11, 24, tzinfo=UTC)



def _persons(conn) -> dict[str, str]:  # noqa: ANN001
    return dict(conn.execute("SELECT member_id, person_id FROM identities"))


def test_the_same_phone_hash_at_two_stores_is_one_person_and_the_earliest_join_survives(wh):
    identity.member_joined(wh, "b", "m-late", "ph1", "2026-11-10T00:00:00.000Z")  # the later join arrives first
    identity.member_joined(wh, "a", "m-early", "ph1", "2026-11-01T00:00:00.000Z")
    identity.member_joined(wh, "c", "m-other", "ph2", "2026-11-02T00:00:00.000Z")
    assert _persons(wh) == {"m-late": "m-early", "m-early": "m-early", "m-other": "m-other"}
    merge = wh.execute("SELECT survivor_id, merged_id, reason FROM merges").fetchall()
    assert merge == [("m-early", "m-late", "phone_hash")]
    identity.member_joined(wh, "a", "m-early", "ph1", "2026-11-01T00:00:00.000Z")  # a batch seen twice
    assert wh.execute("SELECT count(*) FROM merges").fetchone()[0] == 1


def test_a_consented_payment_identity_shared_by_two_members_merges_them(wh):
    identity.member_joined(wh, "a", "m1", "ph1", "2026-11-01T00:00:00.000Z")
    identity.member_joined(wh, "b", "m2", "ph2", "2026-11-03T00:00:00.000Z")
    identity.payer_linked(wh, "m2", "payer-x", "2026-11-03T01:00:00.000Z")
    identity.payer_linked(wh, "m1", "payer-x", "2026-11-04T01:00:00.000Z")
    assert _persons(wh) == {"m1": "m1", "m2": "m1"}
    assert wh.execute("SELECT reason FROM merges").fetchone()[0] == "payer_hash"


def test_a_reversed_merge_separates_the_members_and_is_not_redone_automatically(wh):
    identity.member_joined(wh, "a", "m1", "ph1", "2026-11-01T00:00:00.000Z")
    identity.member_joined(wh, "b", "m2", "ph1", "2026-11-02T00:00:00.000Z")
    merge_id = wh.execute("SELECT merge_id FROM merges").fetchone()[0]
    assert identity.unmerge(wh, merge_id, "2026-11-05T00:00:00.000Z") == ["m2"]
    assert _persons(wh) == {"m1": "m1", "m2": "m2"}
    identity.payer_linked(wh, "m1", "payer-y", "2026-11-06T00:00:00.000Z")
    identity.payer_linked(wh, "m2", "payer-y", "2026-11-06T00:00:00.000Z")
    assert _persons(wh) == {"m1": "m1", "m2": "m2"}
    with pytest.raises(LookupError):
        identity.unmerge(wh, merge_id, "2026-11-07T00:00:00.000Z")


def test_an_erasure_scrubs_the_person_at_hq_and_is_queued_for_every_store(wh):
    joined = {"member_id": "m1", "phone_hash": "ph1", "phone_masked": "139****0001", "joined_at": "2026-11-01"}
    event = warehouse.Event(seq=1, event_id="e1", type="member.joined", occurred_at="2026-11-01T02:00:00.000Z",
                            payload=msgspec.Raw(msgspec.json.encode(joined)))
    header = BatchHeader(store_id="a", epoch_id="E", batch_seq=1, first_seq=1, last_seq=1, count=1, sha256="-",
                         signature="-", oldest_at="-", sealed_at="-")
    assert wh.ingest_batch("a", "E", header, [event], NOW) == 1  # the join reaches identities through ingest
    identity.member_joined(wh, "b", "m2", "ph1", "2026-11-02T00:00:00.000Z")
    assert identity.member_erased(wh, "a", "m1", "2026-11-09T00:00:00.000Z") == ["m1", "m2"]  # merged into m1
    payload = msgspec.json.decode(wh.execute("SELECT payload FROM events WHERE event_id = 'e1'").fetchone()[0])
    assert payload == {"member_id": "m1", "joined_at": "2026-11-01"}
    assert wh.execute("SELECT count(*) FROM identities WHERE erased_at IS NULL OR phone_hash IS NOT NULL"
                      ).fetchone()[0] == 0
    # the tombstone names ids only, never the phone hash
    assert wh.execute("SELECT member_id, phone_hash, merged_ids FROM erasures").fetchall() == [("m1", None, '["m2"]')]
    # the phone joining again is a new person, untouched by the tombstone
    identity.member_joined(wh, "b", "m3", "ph1", "2026-11-10T00:00:00.000Z")
    assert _persons(wh)["m3"] == "m3" and wh.execute(
        "SELECT erased_at FROM identities WHERE member_id = 'm3'").fetchone()[0] is None


def test_a_later_join_merged_before_hq_learnt_of_the_erasure_survives_it_as_its_own_person(wh):
    identity.member_joined(wh, "a", "m1", "ph1", "2026-11-01T00:00:00.000Z")
    # erased at store A on 11-09; HQ pulls store B's re-join (11-10) first and merges it by phone
    identity.member_joined(wh, "b", "m3", "ph1", "2026-11-10T00:00:00.000Z")
    assert _persons(wh)["m3"] == "m1"
    assert identity.member_erased(wh, "a", "m1", "2026-11-09T00:00:00.000Z") == ["m1"]
    assert _persons(wh)["m3"] == "m3"
    row = wh.execute("SELECT erased_at, dir_version, alias_version FROM identities WHERE member_id = 'm3'").fetchone()
    assert row == (None, None, None)  # live, and sent down again (directory entry and its own alias)
