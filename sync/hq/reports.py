"""HQ reports from the warehouse's views: join rate by store and day with the chain total; per-store lag.

The views (`hq_join_rate`, `hq_join_rate_chain`, `hq_store_lag`, `hq_identity_merges`,
`hq_member_segments`, `hq_member_kpis`) are made by both engines with the same names and columns,
so a BI tool reads what these commands print.
"""

from datetime import datetime
from pathlib import Path

import msgspec

from .days import iso, parse_iso
from .warehouse import Warehouse


class JoinRateLine(msgspec.Struct, frozen=True, kw_only=True):
    store_id: str  # "chain" for the total of the day
    business_day: str
    transactions: int
    nonmember_transactions: int
    joins: int
    join_rate_bps: int


def join_rate(wh: Warehouse, first: str | None = None, last: str | None = None) -> list[JoinRateLine]:
    """Per store and business day (latest revision of each), then a chain line per day."""
    span = (first or "0000", last or "9999")
    rows = wh.execute("SELECT store_id, business_day, transactions, nonmember_transactions, joins, join_rate_bps "
                      "FROM hq_join_rate WHERE business_day BETWEEN ? AND ?", span).fetchall()
    rows += [("chain", *r) for r in wh.execute(
        "SELECT business_day, transactions, nonmember_transactions, joins, join_rate_bps "
        "FROM hq_join_rate_chain WHERE business_day BETWEEN ? AND ?", span).fetchall()]
    out = [JoinRateLine(store_id=r[0], business_day=str(r[1]), transactions=r[2], nonmember_transactions=r[3],
                        joins=r[4], join_rate_bps=r[5]) for r in rows]
    return sorted(out, key=lambda x: (x.business_day, x.store_id == "chain", x.store_id))  # each day: stores, chain


def pct(bps: int) -> str:
    return f"{bps / 100:.2f}%"


def join_rate_png(lines: list[JoinRateLine], path: Path | str, max_stores: int = 12) -> None:
    """A bar chart: the chain's join rate per day, with up to `max_stores` stores beside it."""
    from PIL import Image, ImageDraw, ImageFont

    days = sorted({x.business_day for x in lines})
    stores = sorted({x.store_id for x in lines if x.store_id != "chain"})[:max_stores]
    series = ["chain", *stores]
    value = {(x.store_id, x.business_day): x.join_rate_bps for x in lines}
    top = max([value.get((s, d), 0) for s in series for d in days] + [100])
    width, height, left, bottom, pad = max(640, 80 + len(days) * (len(series) * 14 + 24)), 420, 60, 60, 20
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    plot_h = height - bottom - pad - 30
    draw.text((left, 8), "Non-member join rate by business day (chain first)", fill="black", font=font)
    draw.line((left, height - bottom, width - pad, height - bottom), fill="black")
    draw.line((left, height - bottom, left, pad + 30), fill="black")
    for i in range(5):
        y = height - bottom - plot_h * i / 4
        draw.text((4, y - 6), pct(int(top * i / 4)), fill="gray", font=font)
    palette = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#2c3e50",
               "#f39c12", "#1abc9c", "#9b59b6", "#34495e", "#e67e22"]
    x = left + 12
    for d in days:
        for k, s in enumerate(series):
            h = plot_h * value.get((s, d), 0) / top
            draw.rectangle((x, height - bottom - h, x + 11, height - bottom), fill=palette[k % len(palette)])
            x += 14
        draw.text((x - 14 * len(series), height - bottom + 6), d[5:], fill="black", font=font)
        x += 24
    for k, s in enumerate(series):
        draw.rectangle((left + k * 90, height - 22, left + k * 90 + 10, height - 12), fill=palette[k % len(palette)])
        draw.text((left + k * 90 + 14, height - 24), s[:12], fill="black", font=font)
    img.save(path, format="PNG")


class StoreLag(msgspec.Struct, frozen=True, kw_only=True):
    store_id: str
    epoch_id: str | None
    through_batch_seq: int
    last_batch_seq: int
    batches_behind: int
    oldest_unpulled_age_s: int | None
    last_ok_at: str | None
    last_error: str | None
    events: int
    config_version: int
    lease_holder: str | None = None  # the puller pulling this store now (its lease not yet expired)
    lease_expires_at: str | None = None
    last_pulled_by: str | None = None


def _text(value: object) -> str | None:
    """A time as text whichever engine stored it (PostgreSQL hands back datetimes)."""
    return value if value is None or isinstance(value, str) else iso(value)  # type: ignore[arg-type]


def lag(wh: Warehouse, now: datetime, store_ids: list[str] | None = None) -> list[StoreLag]:
    """Per store: batches behind, the age of the oldest event not yet at HQ, the last error, who holds it."""
    rows = {r[0]: r for r in wh.execute(
        "SELECT store_id, epoch_id, through_batch_seq, last_batch_seq, oldest_unpulled_at, last_ok_at, last_error, "
        "config_version, events, lease_holder, lease_expires_at, last_pulled_by FROM hq_store_lag")}
    out = []
    for store_id in store_ids or sorted(rows):
        r = rows.get(store_id) or (store_id, None, 0, 0, None, None, "never pulled", 0, 0, None, None, None)
        behind = max(0, r[3] - r[2])
        since = r[4] if behind or r[6] else None
        if since is None and r[6]:
            since = r[5]  # unreachable now: at least everything since the last good pull may be waiting
        age = int((now - parse_iso(since)).total_seconds()) if since else None
        expires = _text(r[10])
        holder = r[9] if expires and parse_iso(expires) > now else None  # an expired lease is nobody's
        out.append(StoreLag(store_id=store_id, epoch_id=r[1], through_batch_seq=r[2], last_batch_seq=r[3],
                            batches_behind=behind, oldest_unpulled_age_s=age, last_ok_at=r[5], last_error=r[6],
                            events=r[8], config_version=r[7], lease_holder=holder,
                            lease_expires_at=expires if holder else None, last_pulled_by=r[11]))
    return out
