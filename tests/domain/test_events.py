"""The typed outbox events keep the wire HQ already ingests: batches recorded before the types existed
decode into the tagged union and re-encode to the same bytes."""

from pathlib import Path

import msgspec
import pytest

from edge.domain import events
from sync.batches import encode_lines

RECORDED = sorted((Path(__file__).parent.parent / "fixtures" / "batches").glob("batch-*.jsonl"))


def recorded_lines() -> list[bytes]:
    return [line for path in RECORDED for line in path.read_bytes().splitlines()]


def test_the_recorded_batches_hold_every_event_type_the_union_lists():
    types = {msgspec.json.decode(line)["type"] for line in recorded_lines()}
    assert types == set(events.BY_TYPE) and len(types) == len(events.EVENTS) == 20


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_a_recorded_batch_decodes_into_the_union_and_re_encodes_byte_for_byte(path: Path):
    body = path.read_bytes()
    rows = []
    for line in body.splitlines():
        decoded = events.decode_line(line)
        event = decoded.payload
        assert type(event) is events.BY_TYPE[type(decoded).__struct_config__.tag]  # the line's type picked it
        rows.append((decoded.seq, decoded.event_id, event.TYPE, decoded.occurred_at, events.encode_payload(event)))
    assert encode_lines(rows) == body


def test_an_optional_field_absent_from_an_event_is_left_out_not_sent_as_null():
    upgrade = events.MemberUpdated(member_id="m1", tier_id="gold", reason="tier_upgrade", sale_id="s1")
    withdrawn = events.MemberUpdated(member_id="m1", reason="consent_withdrawn", purpose="marketing",
                                     payers_unlinked=0, at="2026-11-24T02:00:00.000Z")
    assert events.encode_payload(upgrade) == b'{"member_id":"m1","tier_id":"gold","reason":"tier_upgrade","sale_id":"s1"}'
    assert events.encode_payload(withdrawn) == (b'{"member_id":"m1","reason":"consent_withdrawn","purpose":"marketing",'
                                                b'"payers_unlinked":0,"at":"2026-11-24T02:00:00.000Z"}')


def test_a_payload_of_the_wrong_shape_for_its_type_is_refused():
    line = (b'{"seq":1,"event_id":"e","type":"sale.voided","occurred_at":"2026-11-24T02:00:00.000Z",'
            b'"payload":{"sale_id":"s1"}}')
    with pytest.raises(msgspec.ValidationError, match="store_id"):
        events.decode_line(line)
    with pytest.raises(msgspec.ValidationError):
        events.decode_line(line.replace(b"sale.voided", b"sale.teleported"))


def test_a_field_added_later_is_ignored_by_older_decoders():
    payload = (b'{"entry_id":"p1","member_id":"m1","kind":"accrue","points":5,"sale_id":null,'
               b'"a_field_from_the_future":1}')
    assert events.decode_payload("points.entry", payload) == events.PointsEntry(
        entry_id="p1", member_id="m1", kind="accrue", points=5, sale_id=None)
