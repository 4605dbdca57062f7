"""Ceilings for the till targets: the least a member read and a durable write can cost on this stack.

Served by `bench/floor_bench.py` beside the bare endpoint. Each endpoint does strictly less than its
real counterpart, with the same parts:

- `/read`: the body decoded into a Struct, one indexed SELECT on a WAL reader, a small JSON answer.
  A quote does this and more (a bearer check, the catalog, the campaign engine, coupons, flash stock).
- `/spine-quote`: what issue 2 alone asks a quote to do, and nothing else: the cart and member
  decoded, the member's tier read, each line priced from a catalog in memory with the tier's basis
  points (half-up), a member-day check, and an answer with a discount line per line. No bearer
  check, no campaigns, coupons, caps or flash stock: less than any quote can do.
- `/write`: the body decoded, one row inserted by the store's own `Writer` (grouped commits, WAL,
  synchronous=FULL, answered after COMMIT), a small JSON answer. A sale does this and more (pricing,
  stock, points ledger, member update, outbox events, the replayable answer).
- `/spine-write`: what issue 2 alone asks a sale to write, and nothing else: the sale row, its
  lines, the stock taken, a points-ledger entry, the member's spend and points, two outbox events,
  all in one command of the same `Writer`. No pricing, no campaigns, no idempotency check, tables
  with no secondary indexes: less than any sale can do.

The store file is `FLOOR_DB` (created by the bench).
"""

import os
import sqlite3
import sys
from datetime import UTC, datetime

import msgspec
from litestar import Litestar, post
from litestar.params import JSONBody

from edge.store.connection import connect
from edge.store.reader import Reader
from edge.store.writer import Writer


class ReadIn(msgspec.Struct):
    member_id: str


class WriteIn(msgspec.Struct):
    sale_id: str
    member_id: str
    total_fen: int


class LineIn(msgspec.Struct):
    sku: str
    qty: int


class QuoteIn(msgspec.Struct):
    member_id: str
    lines: list[LineIn]


class LineOut(msgspec.Struct):
    sku: str
    qty: int
    unit_price_fen: int
    discount_fen: int
    total_fen: int
    rule_id: str | None


class QuoteOut(msgspec.Struct):
    member_id: str
    tier_id: str
    lines: list[LineOut]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    member_day: bool


PRICES = {"LATTE": 3200, "CROISSANT": 1800}
TIER_BP = {"regular": 0, "silver": 500, "gold": 1000}
MEMBER_DAY = 4  # Friday


class SpineIn(msgspec.Struct):
    sale_id: str
    member_id: str
    total_fen: int
    lines: list[LineIn]


DB = os.environ.get("FLOOR_DB", "floor.db")
writer: Writer | None = None
reader = Reader(DB)


def prepare(path: str) -> None:
    """The probes' tables, the member they read and the stock the spine write takes."""
    conn = connect(path)
    conn.executescript("""
        CREATE TABLE IF NOT EXISTS members (member_id TEXT PRIMARY KEY, tier_id TEXT NOT NULL, points INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sales (sale_id TEXT PRIMARY KEY, member_id TEXT, total_fen INTEGER NOT NULL);
        INSERT OR IGNORE INTO members VALUES ('M1', 'gold', 100);
        CREATE TABLE IF NOT EXISTS spine_sales (sale_id TEXT PRIMARY KEY, member_id TEXT, total_fen INTEGER NOT NULL,
                                                created_at TEXT NOT NULL, response BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS spine_lines (sale_id TEXT NOT NULL, line_no INTEGER NOT NULL, sku TEXT NOT NULL,
                                                qty INTEGER NOT NULL, PRIMARY KEY (sale_id, line_no));
        CREATE TABLE IF NOT EXISTS inventory (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS ledger (entry_id INTEGER PRIMARY KEY, member_id TEXT NOT NULL, points INTEGER NOT NULL,
                                           sale_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS spend (member_id TEXT PRIMARY KEY, spend_fen INTEGER NOT NULL, points INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, payload BLOB NOT NULL);
        INSERT OR IGNORE INTO inventory VALUES ('LATTE', 1000000000), ('CROISSANT', 1000000000);
        INSERT OR IGNORE INTO spend VALUES ('M1', 0, 0);
    """)
    conn.close()


@post("/read", sync_to_thread=False, status_code=200)
def read(data: JSONBody[ReadIn]) -> dict:
    row = reader.conn.execute("SELECT tier_id, points FROM members WHERE member_id = ?", (data.member_id,)).fetchone()
    return {"member_id": data.member_id, "tier_id": row[0], "points": row[1]}


@post("/spine-quote", sync_to_thread=False, status_code=200)
def spine_quote(data: JSONBody[QuoteIn]) -> QuoteOut:
    row = reader.conn.execute("SELECT tier_id FROM members WHERE member_id = ?", (data.member_id,)).fetchone()
    tier = row[0]
    member_day = datetime.now(UTC).weekday() == MEMBER_DAY  # a probe: the check costs the same in any zone
    bp = TIER_BP[tier] + (500 if member_day else 0)
    lines = []
    for ln in data.lines:
        subtotal = PRICES[ln.sku] * ln.qty
        discount = (subtotal * bp + 5_000) // 10_000
        lines.append(LineOut(ln.sku, ln.qty, PRICES[ln.sku], discount, subtotal - discount,
                             f"tier:{tier}" if discount else None))
    subtotal = sum(x.unit_price_fen * x.qty for x in lines)
    discount = sum(x.discount_fen for x in lines)
    return QuoteOut(data.member_id, tier, lines, subtotal, discount, subtotal - discount, member_day)


@post("/write", status_code=201)
async def write(data: JSONBody[WriteIn]) -> dict:
    def command(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO sales VALUES (?, ?, ?)", (data.sale_id, data.member_id, data.total_fen))

    assert writer is not None
    await writer.run(command)
    return {"sale_id": data.sale_id, "status": "completed"}


@post("/spine-write", status_code=201)
async def spine_write(data: JSONBody[SpineIn]) -> dict:
    created_at = datetime.now(UTC).isoformat()
    answer = {"sale_id": data.sale_id, "status": "completed", "total_fen": data.total_fen, "created_at": created_at}
    body = msgspec.json.encode(answer)
    points = data.total_fen // 100

    def command(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO spine_sales VALUES (?, ?, ?, ?, ?)",
                     (data.sale_id, data.member_id, data.total_fen, created_at, body))
        conn.executemany("INSERT INTO spine_lines VALUES (?, ?, ?, ?)",
                         [(data.sale_id, n, ln.sku, ln.qty) for n, ln in enumerate(data.lines)])
        for ln in data.lines:
            conn.execute("UPDATE inventory SET on_hand = on_hand - ? WHERE sku = ?", (ln.qty, ln.sku))
        conn.execute("INSERT INTO ledger (member_id, points, sale_id) VALUES (?, ?, ?)",
                     (data.member_id, points, data.sale_id))
        conn.execute("UPDATE spend SET spend_fen = spend_fen + ?, points = points + ? WHERE member_id = ?",
                     (data.total_fen, points, data.member_id))
        conn.executemany("INSERT INTO outbox (type, payload) VALUES (?, ?)",
                         [("sale.completed", body), ("points.entry", msgspec.json.encode(
                             {"member_id": data.member_id, "points": points, "sale_id": data.sale_id}))])

    assert writer is not None
    await writer.run(command)
    return answer


def _start() -> None:
    global writer
    sys.setswitchinterval(0.001)  # as `store-edge serve` sets it for its writer thread
    writer = Writer(DB).start()


def _stop() -> None:
    if writer is not None:
        writer.stop()


app = Litestar([read, spine_quote, write, spine_write], on_startup=[_start], on_shutdown=[_stop], logging_config=None)
