"""Ceilings for the till targets: the least a member read and a durable write can cost on this stack.

Served by `bench/floor_bench.py` beside the bare endpoint. Each endpoint does strictly less than its
real counterpart, with the same parts:

- `/read`: the body decoded into a Struct, one indexed SELECT on a WAL reader, a small JSON answer.
  A quote does this and more (a bearer check, the catalog, the campaign engine, coupons, flash stock).
- `/write`: the body decoded, one row inserted by the store's own `Writer` (grouped commits, WAL,
  synchronous=FULL, answered after COMMIT), a small JSON answer. A sale does this and more (pricing,
  stock, points ledger, member update, outbox events, the replayable answer).

The store file is `FLOOR_DB` (created by the bench).
"""

import os
import sqlite3
import sys

import msgspec
from litestar import Litestar, post

from edge.store.connection import connect
from edge.store.reader import Reader
from edge.store.writer import Writer


class ReadIn(msgspec.Struct):
    member_id: str


class WriteIn(msgspec.Struct):
    sale_id: str
    member_id: str
    total_fen: int


DB = os.environ.get("FLOOR_DB", "floor.db")
writer: Writer | None = None
reader = Reader(DB)


def prepare(path: str) -> None:
    """The two tables, and the member the bench reads."""
    conn = connect(path)
    conn.executescript("""
        CREATE TABLE IF NOT EXISTS members (member_id TEXT PRIMARY KEY, tier_id TEXT NOT NULL, points INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sales (sale_id TEXT PRIMARY KEY, member_id TEXT, total_fen INTEGER NOT NULL);
        INSERT OR IGNORE INTO members VALUES ('M1', 'gold', 100);
    """)
    conn.close()


@post("/read", sync_to_thread=False, status_code=200)
def read(data: ReadIn) -> dict:
    row = reader.conn.execute("SELECT tier_id, points FROM members WHERE member_id = ?", (data.member_id,)).fetchone()
    return {"member_id": data.member_id, "tier_id": row[0], "points": row[1]}


@post("/write", status_code=201)
async def write(data: WriteIn) -> dict:
    def command(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO sales VALUES (?, ?, ?)", (data.sale_id, data.member_id, data.total_fen))

    assert writer is not None
    await writer.run(command)
    return {"sale_id": data.sale_id, "status": "completed"}


def _start() -> None:
    global writer
    sys.setswitchinterval(0.001)  # as `store-edge serve` sets it for its writer thread
    writer = Writer(DB).start()


def _stop() -> None:
    if writer is not None:
        writer.stop()


app = Litestar([read, write], on_startup=[_start], on_shutdown=[_stop], logging_config=None)
