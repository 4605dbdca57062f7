"""OfflineJournal: sales the edge could not take wait in a SQLite file on the POS, in order.

A sale is journaled with its sale_id; replaying it later is safe because the edge records a sale
once per sale_id. A replay the edge refuses (409 stock, 422) is kept as failed with the reason,
for the store manager, and never retried blindly.
"""

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from ._client import EdgeClient
from ._errors import EdgeUnreachable, ProblemError
from ._types import Sale


@dataclass
class JournaledSale:
    sale_id: str
    state: str  # waiting | sent | failed
    reason: str | None


class OfflineJournal:
    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(str(path), isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # a journaled sale must survive the POS's power cut
        self._conn.execute("CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "sale_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, state TEXT NOT NULL, reason TEXT, "
                           "journaled_at REAL NOT NULL)")

    def close(self) -> None:
        self._conn.close()

    def record_sale(self, edge: EdgeClient, body: dict) -> Sale | JournaledSale:
        """Send the sale; if the edge is unreachable, journal it and say so (the till carries on)."""
        try:
            return edge.post_sale(body)
        except EdgeUnreachable:
            self._conn.execute("INSERT INTO journal (sale_id, body, state, journaled_at) VALUES (?, ?, 'waiting', ?) "
                               "ON CONFLICT (sale_id) DO NOTHING",
                               (body["sale_id"], msgspec.json.encode(body), time.time()))
            return JournaledSale(body["sale_id"], "waiting", None)

    def waiting(self) -> int:
        return self._conn.execute("SELECT count(*) FROM journal WHERE state = 'waiting'").fetchone()[0]

    def entries(self) -> list[JournaledSale]:
        return [JournaledSale(*row) for row in
                self._conn.execute("SELECT sale_id, state, reason FROM journal ORDER BY seq")]

    def flush(self, edge: EdgeClient) -> int:
        """Replay waiting sales in order; stop at the first unreachable edge. Return how many were sent."""
        sent = 0
        for seq, body in self._conn.execute("SELECT seq, body FROM journal WHERE state = 'waiting' ORDER BY seq"
                                            ).fetchall():
            try:
                edge.post_sale(msgspec.json.decode(body))
            except EdgeUnreachable:
                break
            except ProblemError as exc:
                self._conn.execute("UPDATE journal SET state = 'failed', reason = ? WHERE seq = ?", (str(exc), seq))
                continue
            self._conn.execute("UPDATE journal SET state = 'sent' WHERE seq = ?", (seq,))
            sent += 1
        return sent
