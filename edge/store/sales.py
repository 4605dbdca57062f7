"""Sales and their lines, stored with the exact answer given so a replay returns the same bytes."""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso
from ..domain.join_rate import SaleFacts


class SaleRow(msgspec.Struct, frozen=True, kw_only=True):
    sale_id: str
    request_hash: str
    status: str
    checkout_id: str | None
    lane_id: str
    cashier_id: str
    member_id: str | None
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    points_earned: int
    payer_hash: str | None
    payment_method: str
    payment_provider: str | None
    created_at: str
    business_day: str
    nonmember_at_start: bool
    joined_source: str | None
    response: bytes
    charged_fen: int  # what the till charged (total_fen is the edge's price for the lines)
    offline: bool = False
    rung_up_at: str | None = None
    key_id: str | None = None  # the lane key that recorded it


SALE_FIELDS = tuple(SaleRow.__struct_fields__)


def insert_sale(conn: sqlite3.Connection, sale: SaleRow, lines: list[tuple]) -> None:
    """Insert the sale and its lines; the sale_id PRIMARY KEY makes a second insert fail."""
    conn.execute(f"INSERT INTO sales ({', '.join(SALE_FIELDS)}) VALUES ({', '.join('?' for _ in SALE_FIELDS)})",
                 tuple(getattr(sale, f) for f in SALE_FIELDS))
    conn.executemany("INSERT INTO sale_lines (sale_id, line_no, sku, qty, unit_price_fen, discount_fen, total_fen, "
                     "stock_taken) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)


def get_sale(conn: sqlite3.Connection, sale_id: str) -> SaleRow | None:
    row = conn.execute(f"SELECT {', '.join(SALE_FIELDS)} FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    if row is None:
        return None
    values = dict(zip(SALE_FIELDS, row, strict=True))
    values["nonmember_at_start"] = bool(values["nonmember_at_start"])
    values["offline"] = bool(values["offline"])
    values["response"] = bytes(values["response"])
    if values["charged_fen"] is None:  # recorded before the charged amount was kept
        values["charged_fen"] = values["total_fen"]
    return SaleRow(**values)


def day_tally(conn: sqlite3.Connection, day: str) -> list[tuple[str | None, int, int]]:
    """(join source, completed sales, of them non-members at the start) for one business day, from
    the running counts the sales' triggers keep (m003_sales_day_counts)."""
    return conn.execute("SELECT nullif(joined_source, ''), completed, nonmember FROM sales_day_counts "
                        "WHERE business_day = ? AND completed > 0", (day,)).fetchall()


def days_voided_since(conn: sqlite3.Connection, since: str) -> set[str]:
    """Business days of the sales voided at or after `since` (a partial index holds only voids).

    Deduplicated here, not by DISTINCT: with DISTINCT SQLite walked the business-day index over every
    sale ever made (30 ms inside the writer on each seal after a rush) instead of the few voids."""
    return {r[0] for r in conn.execute(VOIDED_SINCE, (since,))}


VOIDED_SINCE = "SELECT business_day FROM sales WHERE voided_at IS NOT NULL AND voided_at >= ?"


def answer_of(conn: sqlite3.Connection, sale_id: str) -> bytes | None:
    """The sale as last answered (the void's answer once voided)."""
    row = conn.execute("SELECT response FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    return None if row is None else bytes(row[0])


def recorded(conn: sqlite3.Connection, sale_id: str) -> tuple[str, bytes] | None:
    """(request hash, answer) of a sale already recorded under this id."""
    row = conn.execute("SELECT request_hash, response FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    return None if row is None else (row[0], bytes(row[1]))


def stock_taken(conn: sqlite3.Connection, sale_id: str) -> list[tuple[str, int]]:
    """(sku, units) the sale took off the shelf, to give back on a void."""
    return conn.execute("SELECT sku, stock_taken FROM sale_lines WHERE sale_id = ? AND stock_taken > 0 "
                        "ORDER BY line_no", (sale_id,)).fetchall()


def mark_voided(conn: sqlite3.Connection, sale_id: str, reason: str, response: bytes, now: datetime) -> bool:
    """Void a completed sale; False if it was already voided (the void is then a replay)."""
    cur = conn.execute("UPDATE sales SET status = 'voided', voided_at = ?, void_reason = ?, response = ? "
                       "WHERE sale_id = ? AND status = 'completed'", (iso(now), reason, response, sale_id))
    return cur.rowcount == 1


def sale_facts(conn: sqlite3.Connection, first_day: str, last_day: str) -> list[SaleFacts]:
    """Completed sales of the business days [first_day, last_day], as the join rate counts them."""
    rows = conn.execute("SELECT business_day, lane_id, cashier_id, nonmember_at_start, joined_source FROM sales "
                        "WHERE status = 'completed' AND business_day BETWEEN ? AND ?", (first_day, last_day))
    return [SaleFacts(business_day=r[0], lane_id=r[1], cashier_id=r[2], nonmember_at_start=bool(r[3]),
                      joined_source=r[4]) for r in rows]
