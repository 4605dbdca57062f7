"""OfflineJournal: sales the edge could not take wait in a SQLite file on the POS, in order.

A sale is journaled with its sale_id; replaying it later is safe because the edge records a sale
once per sale_id. Replays carry `X-Offline-Replay: 1`. The journal flushes by itself: `tick()` (called
by the POS, or by `AutoFlush` in a thread) replays what waits once the edge answers, backing off
while it does not. A replay the edge refuses as malformed (4xx) is kept as failed with the reason,
and never retried blindly; the edge keeps its own record of the refusal in its exceptions list.
Once the edge recorded a sale, its body (which may hold a phone typed for an enrolment) is dropped:
the journal keeps the id, the amount charged and when.
"""

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from ._client import EdgeClient, iso, utc_now
from ._errors import EdgeUnreachable, NotFoundError, ProblemError
from ._types import Sale

_COLUMNS = {"charged_fen": "INTEGER", "rung_up_at": "TEXT", "attempted": "INTEGER NOT NULL DEFAULT 0",
            "sent_at": "TEXT"}
NEW_FIELDS = ("offline", "rung_up_at", "enrolment")  # what an edge older than offline sales refuses


@dataclass
class JournaledSale:
    sale_id: str
    state: str  # waiting | sent | failed
    reason: str | None
    charged_fen: int | None = None
    rung_up_at: str | None = None


@dataclass
class JournalStatus:
    waiting: int
    failed: int
    last_seen_at: datetime | None  # the edge last answered this journal's client
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None  # None: nothing waits, or the next tick tries
    last_error: str | None


class OfflineJournal:
    """The till's journal. `clock` says what time it is (tests pass their own); `backoff_base` and
    `backoff_max` bound the wait between attempts while the edge does not answer (1 s doubling to 60 s)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utc_now, backoff_base: float = 1.0,
                 backoff_max: float = 60.0) -> None:
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # a journaled sale must survive the POS's power cut
        self._conn.execute("PRAGMA secure_delete = ON")  # a sent sale's dropped body is zeroed, not left in the file
        self._conn.execute("CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "sale_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, state TEXT NOT NULL, reason TEXT, "
                           "journaled_at REAL NOT NULL)")
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(journal)")}
        for name, kind in _COLUMNS.items():  # journals written by an older plugin gain the new columns
            if name not in have:
                self._conn.execute(f"ALTER TABLE journal ADD COLUMN {name} {kind}")
        self._lock = threading.Lock()  # one statement at a time on the shared connection
        self._flushing = threading.Lock()  # one flush at a time: the POS's tick and AutoFlush's
        self._changed = threading.Condition()
        self.clock = clock
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._failures = 0
        self.last_attempt_at: datetime | None = None
        self.next_attempt_at: datetime | None = None
        self.last_error: str | None = None
        self.last_seen_at: datetime | None = None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # --- writing ------------------------------------------------------------------------------------

    def add(self, body: dict, *, attempted: bool = False) -> JournaledSale:
        """Journal a sale body to send later. `attempted`: it was sent once and the answer was lost, so
        the edge may already have it (the flush asks before sending it again)."""
        charged = (body.get("payment") or {}).get("amount_fen")
        self._execute("INSERT INTO journal (sale_id, body, state, journaled_at, charged_fen, rung_up_at, attempted) "
                      "VALUES (?, ?, 'waiting', ?, ?, ?, ?) ON CONFLICT (sale_id) DO NOTHING",
                      (body["sale_id"], msgspec.json.encode(body), time.time(), charged, body.get("rung_up_at"),
                       int(attempted)))
        self._notify()
        return JournaledSale(body["sale_id"], "waiting", None, charged, body.get("rung_up_at"))

    def record_sale(self, edge: EdgeClient, body: dict) -> Sale | JournaledSale:
        """Send the sale; if the edge is unreachable, journal it and say so (the till carries on)."""
        try:
            sale = edge.post_sale(body)
        except EdgeUnreachable as exc:
            self._note_unreachable(str(exc))
            return self.add(body, attempted=True)
        self.last_seen_at = edge.last_seen_at
        return sale

    # --- reading ------------------------------------------------------------------------------------

    def waiting(self) -> int:
        return self._execute("SELECT count(*) FROM journal WHERE state = 'waiting'")[0][0]

    def entries(self) -> list[JournaledSale]:
        return [JournaledSale(*row) for row in self._execute(
            "SELECT sale_id, state, reason, charged_fen, rung_up_at FROM journal ORDER BY seq")]

    def status(self) -> JournalStatus:
        counts = dict(self._execute("SELECT state, count(*) FROM journal GROUP BY state"))
        return JournalStatus(waiting=counts.get("waiting", 0), failed=counts.get("failed", 0),
                             last_seen_at=self.last_seen_at, last_attempt_at=self.last_attempt_at,
                             next_attempt_at=self.next_attempt_at if counts.get("waiting") else None,
                             last_error=self.last_error)

    def wait_until(self, predicate: Callable[["OfflineJournal"], bool], timeout: float) -> bool:
        """Block until `predicate(journal)` holds after a change (or now), at most `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout=timeout)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # --- sending ------------------------------------------------------------------------------------

    def due(self, now: datetime | None = None) -> bool:
        """Whether a tick now would try the edge: something waits and no backoff holds it."""
        now = now if now is not None else self.clock()
        return self.next_attempt_at is None or now >= self.next_attempt_at

    def tick(self, edge: EdgeClient) -> int:
        """Flush if sales wait and the backoff allows; return how many the edge recorded. Never raises
        for the edge being down: that only pushes the next attempt back."""
        if not self.due() or not self.waiting():
            return 0
        return self.flush(edge)

    def flush(self, edge: EdgeClient) -> int:
        """Replay waiting sales in order; stop at the first unreachable edge. Return how many were sent."""
        with self._flushing:
            self.last_attempt_at = self.clock()
            sent = 0
            rows = self._execute("SELECT seq, sale_id, body, attempted FROM journal WHERE state = 'waiting' "
                                 "ORDER BY seq")
            for seq, sale_id, body, attempted in rows:
                try:
                    if attempted and self._already_recorded(edge, sale_id):
                        self._mark_sent(seq)
                        sent += 1
                        continue
                    edge.post_sale(msgspec.json.decode(body), replay=True, retries=0)
                except EdgeUnreachable as exc:
                    self._note_unreachable(str(exc))
                    return sent
                except ProblemError as exc:
                    if exc.status >= 500 or exc.status in (401, 403, 408, 429) or _edge_predates_offline_sales(exc):
                        # not this sale's fault (the edge's state, or this lane's key): it stays first in
                        # line, and the edge is asked again later
                        self._note_unreachable(str(exc))
                        self.last_seen_at = edge.last_seen_at
                        return sent
                    self._execute("UPDATE journal SET state = 'failed', reason = ? WHERE seq = ?", (str(exc), seq))
                    self._notify()
                    continue
                self._mark_sent(seq)
                sent += 1
            self._failures, self.next_attempt_at, self.last_error = 0, None, None
            self.last_seen_at = edge.last_seen_at or self.last_seen_at
            return sent

    def _already_recorded(self, edge: EdgeClient, sale_id: str) -> bool:
        try:
            edge.get_sale(sale_id, retries=0)
        except NotFoundError:
            return False
        return True

    def _mark_sent(self, seq: int) -> None:
        self._execute("UPDATE journal SET state = 'sent', body = X'', sent_at = ? WHERE seq = ?",
                      (iso(self.clock()), seq))
        self._notify()

    def _note_unreachable(self, reason: str) -> None:
        self._failures += 1
        delay = min(self.backoff_max, self.backoff_base * 2 ** (self._failures - 1))
        self.last_attempt_at = now = self.clock()
        self.next_attempt_at = now + timedelta(seconds=delay)
        self.last_error = reason
        self._notify()


def _edge_predates_offline_sales(exc: ProblemError) -> bool:
    """A 422 naming one of the offline fields as unknown: the edge is older than offline sales, and the
    sale is not wrong. It waits for the edge's upgrade rather than being marked failed."""
    return exc.status == 422 and any(
        e.field in NEW_FIELDS and "unknown field" in e.reason.lower() for e in exc.errors)


class AutoFlush:
    """A background thread that ticks the journal (and anything else given in `also`) every `interval`
    seconds. `wait(seconds) -> bool` is how it waits (True: stop); tests pass their own."""

    def __init__(self, tick: Callable[[], object], *, interval: float = 1.0,
                 wait: Callable[[float], bool] | None = None) -> None:
        self._tick = tick
        self.interval = interval
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread = threading.Thread(target=self._run, name="pos-journal-flush", daemon=True)
        self.errors: list[str] = []

    def start(self) -> "AutoFlush":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception as exc:  # the thread must outlive one bad tick; the POS reads the error
                self.errors.append(f"{type(exc).__name__}: {exc}")
                del self.errors[:-20]
            if self._wait(self.interval) or self._stop.is_set():
                return
