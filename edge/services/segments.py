"""The manager's segment report: counts and member lists per segment."""

from ..domain.clock import iso, parse_iso
from ..domain.identity import mask_phone
from ..domain.segments import DEFINITION, RECENT, SEGMENTS, segment_of
from ..schemas import SegmentMemberOut, SegmentOut, SegmentsOut
from ..store import segments as repo
from .runtime import StoreRuntime


def segments_report(store: StoreRuntime, limit: int) -> SegmentsOut:
    """Every live member in one segment; each list holds at most `limit` members, most recent order first."""
    now = store.clock()
    groups: dict[str, list[SegmentMemberOut]] = {s: [] for s in SEGMENTS}
    for member_id, phone, joined_at, orders, last in repo.member_activity(store.reader.conn, now - RECENT):
        seg = segment_of(parse_iso(joined_at), orders, parse_iso(last) if last else None, now)
        groups[seg].append(SegmentMemberOut(member_id=member_id, phone_masked=mask_phone(phone or ""),
                                            orders_30d=orders, last_order_at=last))
    out = []
    for seg in SEGMENTS:
        members = sorted(groups[seg], key=lambda m: (m.last_order_at or "", m.member_id), reverse=True)
        out.append(SegmentOut(segment=seg, count=len(members), members=members[:limit]))
    return SegmentsOut(as_of=iso(now), definition=DEFINITION, segments=out)
