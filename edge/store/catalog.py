"""Catalog, stock on hand, tiers and campaigns."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.models import MemberDayRule, Sku, Tier

SKU_FIELDS = ("sku", "name_zh", "name_en", "category", "price_fen", "perishable", "track_stock", "member_discount")
TIER_FIELDS = ("tier_id", "name_zh", "name_en", "rank", "discount_bps", "points_multiplier_pct", "upgrade_spend_fen")


def load_catalog(conn: sqlite3.Connection) -> dict[str, Sku]:
    rows = conn.execute(f"SELECT {', '.join(SKU_FIELDS)} FROM catalog WHERE active = 1").fetchall()
    return {r[0]: Sku(sku=r[0], name_zh=r[1], name_en=r[2], category=r[3], price_fen=r[4],
                      perishable=bool(r[5]), track_stock=bool(r[6]), member_discount=bool(r[7])) for r in rows}


def upsert_skus(conn: sqlite3.Connection, skus: list[Sku]) -> None:
    cols = ", ".join(SKU_FIELDS)
    marks = ", ".join("?" for _ in SKU_FIELDS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in SKU_FIELDS[1:])
    conn.executemany(
        f"INSERT INTO catalog ({cols}, active) VALUES ({marks}, 1) "
        f"ON CONFLICT (sku) DO UPDATE SET {updates}, active = 1",
        [tuple(getattr(s, f) for f in SKU_FIELDS) for s in skus],
    )


def stock_levels(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT sku, on_hand FROM inventory").fetchall())


def set_stock(conn: sqlite3.Connection, sku: str, on_hand: int, now: datetime) -> None:
    conn.execute("INSERT INTO inventory (sku, on_hand, updated_at) VALUES (?, ?, ?) "
                 "ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at",
                 (sku, on_hand, iso(now)))


def take_stock(conn: sqlite3.Connection, sku: str, qty: int, allow_negative: bool, now: datetime) -> int | None:
    """Take `qty` units off the shelf; return what is left, or None when there are not enough.

    The check and the decrement are one statement inside the writer's transaction, so two lanes
    can never both take the last unit.
    """
    row = conn.execute(
        "UPDATE inventory SET on_hand = on_hand - ?1, updated_at = ?3 "
        "WHERE sku = ?2 AND (on_hand >= ?1 OR ?4) RETURNING on_hand",
        (qty, sku, iso(now), allow_negative),
    ).fetchone()
    return None if row is None else row[0]


def give_back_stock(conn: sqlite3.Connection, sku: str, qty: int, now: datetime) -> None:
    conn.execute("UPDATE inventory SET on_hand = on_hand + ?, updated_at = ? WHERE sku = ?", (qty, iso(now), sku))


def on_hand(conn: sqlite3.Connection, sku: str) -> int | None:
    row = conn.execute("SELECT on_hand FROM inventory WHERE sku = ?", (sku,)).fetchone()
    return None if row is None else row[0]


def on_hand_many(conn: sqlite3.Connection, skus: list[str]) -> dict[str, int | None]:
    """Stock of each SKU that has an inventory row (a SKU without one is absent)."""
    if len(skus) == 1:  # most carts count one SKU; `IN` builds a lookup table even for one
        return dict(conn.execute("SELECT sku, on_hand FROM inventory WHERE sku = ?", skus).fetchall())
    marks = ", ".join("?" for _ in skus)
    return dict(conn.execute(f"SELECT sku, on_hand FROM inventory WHERE sku IN ({marks})", skus).fetchall())


def load_tiers(conn: sqlite3.Connection) -> dict[str, Tier]:
    rows = conn.execute(f"SELECT {', '.join(TIER_FIELDS)} FROM tiers ORDER BY rank").fetchall()
    return {r[0]: Tier(**dict(zip(TIER_FIELDS, r, strict=True))) for r in rows}


def upsert_tiers(conn: sqlite3.Connection, tiers: list[Tier]) -> None:
    cols = ", ".join(TIER_FIELDS)
    marks = ", ".join("?" for _ in TIER_FIELDS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in TIER_FIELDS[1:])
    conn.executemany(f"INSERT INTO tiers ({cols}) VALUES ({marks}) ON CONFLICT (tier_id) DO UPDATE SET {updates}",
                     [tuple(getattr(t, f) for f in TIER_FIELDS) for t in tiers])


def load_member_day_rules(conn: sqlite3.Connection) -> list[MemberDayRule]:
    rows = conn.execute("SELECT body FROM campaigns WHERE kind = 'member_day' AND active = 1").fetchall()
    rules = []
    for (body,) in rows:
        try:
            rules.append(msgspec.json.decode(body, type=MemberDayRule))
        except msgspec.ValidationError:  # a member day in the campaign engine's form: edge.store.campaigns reads it
            continue
    return rules


def upsert_campaign(conn: sqlite3.Connection, campaign_id: str, kind: str, body: bytes, origin: str,
                    now: datetime) -> None:
    conn.execute(
        "INSERT INTO campaigns (campaign_id, kind, origin, body, active, updated_at) VALUES (?, ?, ?, ?, 1, ?) "
        "ON CONFLICT (campaign_id) DO UPDATE SET kind = excluded.kind, origin = excluded.origin, "
        "body = excluded.body, active = 1, updated_at = excluded.updated_at",
        (campaign_id, kind, origin, body.decode(), iso(now)))
