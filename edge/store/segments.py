"""What segmenting members needs: join time, orders in the last 30 days, last order time."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso


def member_activity(conn: sqlite3.Connection, since: datetime) -> list[tuple[str, str | None, str, int, str | None]]:
    """(member id, phone, joined_at, completed orders since `since`, last completed order) of live members."""
    return conn.execute(
        "SELECT m.member_id, m.phone_e164, m.joined_at, "
        "       count(CASE WHEN s.created_at >= ? THEN 1 END), max(s.created_at) "
        "FROM members m LEFT JOIN sales s ON s.member_id = m.member_id AND s.status = 'completed' "
        "WHERE m.erased_at IS NULL GROUP BY m.member_id ORDER BY m.member_id", (iso(since),)).fetchall()
