"""The edge seals outbox events into signed, immutable batches HQ pulls and acknowledges."""

import gzip
import hashlib

import msgspec

from edge.store import meta
from sync.wire import batch_signature

from builders import enrol_body, sale_body


def _sync_key(store) -> bytes:
    return meta.get_secret(store.reader.conn, "sync_key")


def _some_activity(api) -> str:
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    assert api.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member_id)).status_code == 201
    assert api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1))).status_code == 201
    return member_id


def _lines(body: bytes) -> list[dict]:
    return [msgspec.json.decode(line) for line in body.splitlines()]


def test_listing_seals_pending_events_into_a_signed_batch_with_its_sha256(api, store):
    _some_activity(api)
    listing = api.get("/sync/v1/batches", role="hq").json()
    assert listing["store_id"] == "demo-001" and listing["last_batch_seq"] == 1
    (header,) = listing["batches"]
    body = api.get("/sync/v1/batches/1", role="hq").content
    events = _lines(body)
    assert header["count"] == len(events) and [e["seq"] for e in events] == list(
        range(header["first_seq"], header["last_seq"] + 1))
    assert hashlib.sha256(body).hexdigest() == header["sha256"]
    expected = batch_signature(_sync_key(store), "demo-001", header["epoch_id"], 1, header["first_seq"],
                               header["last_seq"], header["count"], header["sha256"])
    assert header["signature"] == expected
    types = [e["type"] for e in events]
    assert types.count("sale.completed") == 2 and "member.joined" in types and "join_rate.daily" in types


def test_a_batch_pulled_again_is_byte_identical_plain_gzip_and_msgpack(api):
    _some_activity(api)
    api.get("/sync/v1/batches", role="hq")
    plain = [api.get("/sync/v1/batches/1", role="hq", headers={"Accept-Encoding": "identity"}) for _ in range(2)]
    assert plain[0].content == plain[1].content
    raw = [api.client.build_request("GET", "/sync/v1/batches/1") for _ in range(2)]
    zipped = []
    for req in raw:
        req.headers["Authorization"] = f"Bearer {api.keys['hq']}"
        req.headers["Accept-Encoding"] = "gzip"
        resp = api.client.send(req, stream=True)
        zipped.append(b"".join(resp.iter_raw()))
        resp.close()
    assert zipped[0] == zipped[1] and gzip.decompress(zipped[0]) == plain[0].content
    packed = [api.get("/sync/v1/batches/1?format=msgpack", role="hq") for _ in range(2)]
    assert packed[0].content == packed[1].content
    assert packed[0].headers["content-type"].startswith("application/msgpack")
    assert hashlib.sha256(packed[0].content).hexdigest() == packed[0].headers["x-body-sha256"]
    assert msgspec.msgpack.decode(packed[0].content) == _lines(plain[0].content)


def test_sealing_splits_by_count_and_new_events_go_to_the_next_batch(api, store):
    from sync import settings

    store.writer.call(lambda c: settings.save(c, settings.SyncSettings(batch_max_events=2)))
    _some_activity(api)
    first = api.get("/sync/v1/batches", role="hq").json()
    assert all(b["count"] <= 2 for b in first["batches"]) and len(first["batches"]) >= 3
    last = first["last_batch_seq"]
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    later = api.get("/sync/v1/batches", role="hq", params={"after": last}).json()
    assert later["batches"][0]["batch_seq"] == last + 1
    assert later["batches"][0]["first_seq"] == first["batches"][-1]["last_seq"] + 1


def test_acknowledged_batches_are_pruned_only_after_the_retention_and_unacknowledged_never(api, store, clock):
    _some_activity(api)
    listing = api.get("/sync/v1/batches", role="hq").json()
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    second = api.get("/sync/v1/batches", role="hq", params={"after": 1}).json()
    assert second["last_batch_seq"] == 2
    depth = store.reader.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    ack = api.post("/sync/v1/ack", role="hq", json={"epoch_id": listing["epoch_id"], "through_batch_seq": 1})
    assert ack.status_code == 200 and ack.json()["newly_acked"] == 1 and ack.json()["pruned_events"] == 0
    clock.advance(days=30)
    again = api.post("/sync/v1/ack", role="hq", json={"epoch_id": listing["epoch_id"], "through_batch_seq": 1})
    pruned = again.json()["pruned_events"]
    assert pruned == listing["batches"][0]["count"]
    assert store.reader.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == depth - pruned
    assert api.get("/sync/v1/batches/1", role="hq").status_code == 404
    assert api.get("/sync/v1/batches/2", role="hq").status_code == 200  # never acknowledged: kept
    status = api.get("/sync/v1/status", role="hq").json()
    assert status["acked_through"] == 1 and status["unacked_batches"] == 1


def test_an_ack_beyond_the_last_batch_or_in_another_epoch_is_a_409_naming_the_field(api):
    _some_activity(api)
    epoch = api.get("/sync/v1/batches", role="hq").json()["epoch_id"]
    beyond = api.post("/sync/v1/ack", role="hq", json={"epoch_id": epoch, "through_batch_seq": 9})
    assert beyond.status_code == 409 and beyond.json()["errors"][0]["field"] == "through_batch_seq"
    other = api.post("/sync/v1/ack", role="hq", json={"epoch_id": "nope", "through_batch_seq": 1})
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "epoch_id"
    bad = api.post("/sync/v1/ack", role="hq", json={"epoch_id": epoch, "through_batch_seq": -1})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "through_batch_seq"
    plain = api.post("/sync/v1/ack", role="hq", json={"through_batch_seq": 1})  # API.md's minimal body
    assert plain.status_code == 200 and plain.json()["epoch_id"] == epoch and plain.json()["acked_through"] == 1


def test_sync_endpoints_need_the_hq_key(api):
    assert api.get("/sync/v1/status", role=None).status_code == 401
    assert api.get("/sync/v1/status", role="lane").status_code == 403
    assert api.get("/sync/v1/batches", role="manager").status_code == 403
    assert api.get("/sync/v1/status", role="hq").status_code == 200


def test_join_rate_daily_is_re_emitted_with_a_higher_revision_only_when_the_day_changes(api):
    _some_activity(api)
    api.get("/sync/v1/batches", role="hq")
    api.get("/sync/v1/batches", role="hq", params={"after": 1})  # nothing new: no new revision
    assert api.get("/sync/v1/status", role="hq").json()["last_batch_seq"] == 1
    sale = sale_body(("LATTE", 1))
    api.post("/api/v1/sales", json=sale)
    assert _daily_of_last_batch(api, after=1) == [(2, 3, 2)]
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "wrong order"})
    assert _daily_of_last_batch(api, after=2) == [(3, 2, 1)]  # the void takes the day back: a new revision


def test_a_void_weeks_after_the_sale_re_emits_that_old_day(api, clock):
    sale = sale_body(("LATTE", 1))
    api.post("/api/v1/sales", json=sale)
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1)))
    assert _daily_of_last_batch(api, after=0) == [(1, 2, 2)]
    clock.advance(days=20)  # far past the days every seal looks at anyway
    api.post(f"/api/v1/sales/{sale['sale_id']}/void", json={"reason": "chargeback"}, role="manager")  # past the lane's window
    assert _daily_of_last_batch(api, after=1) == [(2, 1, 1)]


def _daily_of_last_batch(api, after: int) -> list[tuple[int, int, int]]:
    listing = api.get("/sync/v1/batches", role="hq", params={"after": after}).json()
    body = api.get(f"/sync/v1/batches/{listing['last_batch_seq']}", role="hq").content
    return [(e["payload"]["revision"], e["payload"]["transactions"], e["payload"]["nonmember_transactions"])
            for e in _lines(body) if e["type"] == "join_rate.daily" and e["payload"]["business_day"] == "2026-11-24"]


def test_a_restore_from_an_older_backup_starts_a_new_epoch_when_hq_is_ahead(api):
    _some_activity(api)
    listing = api.get("/sync/v1/batches", role="hq").json()
    epoch = listing["epoch_id"]
    # HQ's cursor says it already holds batch 5 of this epoch: this database is older than HQ's view
    ahead = api.get("/sync/v1/batches", role="hq", params={"after": 5, "epoch": epoch}).json()
    assert ahead["epoch_id"] != epoch and ahead["epoch_first_batch_seq"] == 2
    assert ahead["acked_through"] == 1
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    resumed = api.get("/sync/v1/batches", role="hq", params={"after": 5, "epoch": epoch}).json()
    assert [b["batch_seq"] for b in resumed["batches"]] == [2]
    assert resumed["batches"][0]["epoch_id"] == ahead["epoch_id"]


def test_a_long_backlog_is_sealed_in_several_short_writer_transactions_into_contiguous_batches(api, store):
    from sync import settings
    from sync.edge_service import SEAL_BATCHES_PER_COMMAND

    store.writer.call(lambda c: settings.save(c, settings.SyncSettings(batch_max_events=1)))
    for _ in range(SEAL_BATCHES_PER_COMMAND + 5):
        api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    groups_before = store.writer.groups
    listing = api.get("/sync/v1/batches", role="hq", params={"limit": 1000}).json()
    assert store.writer.groups - groups_before >= 2
    seqs = [(b["first_seq"], b["last_seq"]) for b in listing["batches"]]
    assert len(seqs) == listing["last_batch_seq"] > SEAL_BATCHES_PER_COMMAND
    assert all(first == last for first, last in seqs)
    assert [s[0] for s in seqs] == list(range(seqs[0][0], seqs[0][0] + len(seqs)))


def test_the_background_sealer_seals_by_age_and_by_count_without_hq_asking(api, store, clock):
    import asyncio

    from sync import settings
    from sync.edge_service import seal_by_age

    store.writer.call(lambda c: settings.save(c, settings.SyncSettings(seal_max_age_seconds=60, batch_max_events=50)))
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    asyncio.run(seal_by_age(store))
    assert api.get("/sync/v1/status", role="hq").json()["last_batch_seq"] == 0  # young, and few: not yet
    clock.advance(seconds=61)
    asyncio.run(seal_by_age(store))
    status = api.get("/sync/v1/status", role="hq").json()
    assert status["last_batch_seq"] == 1 and status["unsealed_events"] == 0
    store.writer.call(lambda c: settings.save(c, settings.SyncSettings(seal_max_age_seconds=3600, batch_max_events=2)))
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    asyncio.run(seal_by_age(store))
    assert api.get("/sync/v1/status", role="hq").json()["unsealed_events"] == 0


def test_the_sync_endpoints_document_themselves_in_openapi(api):
    paths = api.get("/schema/openapi.json", role=None).json()["paths"]
    for path in ("/sync/v1/batches", "/sync/v1/batches/{batch_seq}", "/sync/v1/ack", "/sync/v1/config",
                 "/sync/v1/status"):
        assert path in paths


def test_batches_carry_the_phone_only_hashed_and_masked_and_sealed_with_a_key_sent_beside_the_listing(api, store):
    from sync.sealed import open_sealed

    api.post("/api/v1/members", json=enrol_body(phone="13800138000"))
    listing = api.get("/sync/v1/batches", role="hq").json()
    body = api.get("/sync/v1/batches/1", role="hq").text
    joined = next(e["payload"] for e in _lines(body.encode()) if e["type"] == "member.joined")
    assert "13800138000" not in body and "8000" not in body and joined["phone_hash"] is None
    keys = {k["kid"]: bytes.fromhex(k["key"]) for k in listing["keys"] if k["batch_seq"] == 1}
    personal = open_sealed(joined["personal"], keys.get)
    assert personal["phone_masked"] == "138****8000" and len(personal["phone_hash"]) == 64
    assert "phone_e164" not in personal
    assert open_sealed(joined["personal"], {}.get) is None  # without the key: nothing


def test_acknowledged_batches_are_pruned_once_the_retention_passes_without_another_ack(api, store, clock):
    import asyncio

    from sync.edge_service import prune_expired

    _some_activity(api)
    epoch = api.get("/sync/v1/batches", role="hq").json()["epoch_id"]
    api.post("/sync/v1/ack", role="hq", json={"epoch_id": epoch, "through_batch_seq": 1})
    assert asyncio.run(prune_expired(store)) == 0
    clock.advance(hours=169)
    assert asyncio.run(prune_expired(store)) > 0
    assert api.get("/sync/v1/status", role="hq").json()["outbox_depth"] == 0


def test_a_backlog_come_due_at_once_is_pruned_in_several_short_writer_transactions(api, store, clock):
    import asyncio

    from sync import settings
    from sync.edge_service import PRUNE_BATCHES_PER_COMMAND, prune_expired

    store.writer.call(lambda c: settings.save(c, settings.SyncSettings(batch_max_events=1)))
    for _ in range(PRUNE_BATCHES_PER_COMMAND * 2 + 1):
        api.post("/api/v1/sales", json=sale_body(("EGG-TART", 1)))
    listing = api.get("/sync/v1/batches", role="hq", params={"limit": 1000}).json()
    last = listing["last_batch_seq"]
    assert last > PRUNE_BATCHES_PER_COMMAND * 2
    ack = api.post("/sync/v1/ack", role="hq", json={"epoch_id": listing["epoch_id"], "through_batch_seq": last})
    assert ack.json()["pruned_events"] == 0  # within the retention: nothing goes yet
    clock.advance(hours=169)
    groups_before = store.writer.groups
    assert asyncio.run(prune_expired(store)) == last  # one event a batch
    assert store.writer.groups - groups_before > last // PRUNE_BATCHES_PER_COMMAND
    status = api.get("/sync/v1/status", role="hq").json()
    assert status["outbox_depth"] == 0 and status["last_batch_seq"] == last
