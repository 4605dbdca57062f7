"""What segmenting members needs: join time, orders in the last 30 days, last order time."""

import sqlite3
from datetime import datetime

from ..domain.clock import iso


def member_activity(conn: sqlite3.Connection, since: datetime) -> list[tuple[str, str | None, str, int, str | None]]:
    """(member id, phone, joined_at, completed orders since `since`, last completed order) of live members.

    Two seeks per member in the members' sales index (m010_history_kept), so the cost follows the
    members and their last 30 days, not every sale the store ever made."""
    return conn.execute(
        "SELECT m.member_id, m.phone_e164, m.joined_at, "
        "       (SELECT count(*) FROM sales s WHERE s.member_id = m.member_id AND s.status = 'completed' "
        "        AND s.created_at >= ?1), "
        "       (SELECT s.created_at FROM sales s WHERE s.member_id = m.member_id AND s.status = 'completed' "
        "        ORDER BY s.created_at DESC LIMIT 1) "
        "FROM members m WHERE m.erased_at IS NULL ORDER BY m.member_id", (iso(since),)).fetchall()
