"""Campaign rows, their use counters (the caps), coupons and referral rewards."""

import logging
import sqlite3
from datetime import datetime

import msgspec

from ..domain.campaigns import Campaign, decode_campaign
from ..domain.clock import iso

log = logging.getLogger(__name__)


class StoredCampaign:
    __slots__ = ("campaign", "origin", "updated_at")

    def __init__(self, campaign: Campaign, origin: str, updated_at: str) -> None:
        self.campaign, self.origin, self.updated_at = campaign, origin, updated_at


def load_campaigns(conn: sqlite3.Connection) -> list[StoredCampaign]:
    """Every active campaign, local and from HQ, in id order.

    A row that does not decode (a newer HQ's body, a hand edit) is left out and logged by id: one bad
    campaign must not stop the till from pricing with the others.
    """
    rows = conn.execute("SELECT campaign_id, kind, body, origin, updated_at FROM campaigns WHERE active = 1 "
                        "ORDER BY campaign_id")
    out = []
    for campaign_id, kind, body, origin, updated_at in rows:
        try:
            out.append(StoredCampaign(decode_campaign(body, campaign_id, kind), origin, updated_at))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            log.warning("campaign %s is not usable and is skipped: %s", campaign_id, exc)
    return out


def get_campaign(conn: sqlite3.Connection, campaign_id: str) -> StoredCampaign | None:
    row = conn.execute("SELECT body, kind, origin, updated_at FROM campaigns WHERE campaign_id = ?",
                       (campaign_id,)).fetchone()
    if row is None:
        return None
    try:
        return StoredCampaign(decode_campaign(row[0], campaign_id, row[1]), row[2], row[3])
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        log.warning("campaign %s is not usable: %s", campaign_id, exc)
        return None


def origin_of(conn: sqlite3.Connection, campaign_id: str) -> str | None:
    row = conn.execute("SELECT origin FROM campaigns WHERE campaign_id = ?", (campaign_id,)).fetchone()
    return None if row is None else row[0]


class Usage:
    """Uses of one campaign so far: counted in orders, or in units for flash offers."""

    __slots__ = ("total", "today", "member")

    def __init__(self, total: int = 0, today: int = 0, member: int = 0) -> None:
        self.total, self.today, self.member = total, today, member


def usage(conn: sqlite3.Connection, campaign_ids: list[str], business_day: str,
          member_id: str | None) -> dict[str, Usage]:
    """Active (not voided) uses per campaign: in total, on this business day, by this member.
    Read from the running counts, so the cost does not grow with the uses."""
    if not campaign_ids:
        return {}
    marks = ", ".join("?" for _ in campaign_ids)
    rows = conn.execute(
        f"SELECT campaign_id, scope, n FROM campaign_use_counts WHERE campaign_id IN ({marks}) "
        "AND (scope = 'total' OR (scope = 'day' AND key = ?) OR (scope = 'member' AND key = ?))",
        (*campaign_ids, business_day, member_id if member_id is not None else ""))
    found: dict[str, Usage] = {}
    for campaign_id, scope, n in rows:
        u = found.setdefault(campaign_id, Usage())
        if scope == "total":
            u.total = n
        elif scope == "day":
            u.today = n
        else:
            u.member = n
    return found


def record_use(conn: sqlite3.Connection, sale_id: str, offer_id: str, campaign_id: str, code: str | None,
               member_id: str | None, business_day: str, units: int, amount_fen: int, now: datetime) -> None:
    conn.execute("INSERT INTO campaign_uses (sale_id, offer_id, campaign_id, code, member_id, business_day, units, "
                 "amount_fen, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (sale_id, offer_id, campaign_id, code, member_id, business_day, units, amount_fen, iso(now)))
    # campaign_use_counts follows by trigger (campaign_schema.m003)


def void_uses(conn: sqlite3.Connection, sale_id: str) -> int:
    """Give a voided sale's uses back to their campaigns' caps; return how many rows."""
    return conn.execute("UPDATE campaign_uses SET status = 'voided' WHERE sale_id = ? AND status = 'active'",
                        (sale_id,)).rowcount  # the counts give the uses back by trigger


def uses_of_sale(conn: sqlite3.Connection, sale_id: str) -> list[tuple[str, str | None, int, int]]:
    """(campaign id, code, units, amount) of one sale."""
    return conn.execute("SELECT campaign_id, code, units, amount_fen FROM campaign_uses WHERE sale_id = ? AND status = 'active' "
                        "ORDER BY offer_id", (sale_id,)).fetchall()


def referral_rewarded(conn: sqlite3.Connection, referee_id: str) -> bool:
    return conn.execute("SELECT 1 FROM referral_rewards WHERE referee_id = ?", (referee_id,)).fetchone() is not None


def insert_referral_reward(conn: sqlite3.Connection, referee_id: str, referrer_id: str, sale_id: str,
                           campaign_id: str, now: datetime) -> None:
    """Once per referee: the primary key refuses a second reward."""
    conn.execute("INSERT INTO referral_rewards (referee_id, referrer_id, sale_id, campaign_id, at) "
                 "VALUES (?, ?, ?, ?, ?)", (referee_id, referrer_id, sale_id, campaign_id, iso(now)))


def completed_sales(conn: sqlite3.Connection, member_id: str) -> int:
    return conn.execute("SELECT count(*) FROM sales WHERE member_id = ? AND status = 'completed'",
                        (member_id,)).fetchone()[0]


def reward_of_sale(conn: sqlite3.Connection, sale_id: str) -> tuple[str, str] | None:
    """(referee, referrer) of the referral reward this sale earned, if it earned one."""
    row = conn.execute("SELECT referee_id, referrer_id FROM referral_rewards WHERE sale_id = ?", (sale_id,)).fetchone()
    return None if row is None else (row[0], row[1])


def delete_referral_reward(conn: sqlite3.Connection, referee_id: str) -> None:
    conn.execute("DELETE FROM referral_rewards WHERE referee_id = ?", (referee_id,))
