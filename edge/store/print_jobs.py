"""Printers and the print queue: which printer serves which lane, and every job until it is done.

A job is written in the same transaction as what it prints (a sale, a void), so a crash cannot
lose it; the print worker sends it later and records the outcome. Jobs stay `pending` while they
are sent (no claim is written): after a crash a pending job is sent again, so a receipt can come
out twice but never not at all.
"""

import sqlite3
from datetime import datetime

import msgspec

from ..domain.clock import iso

ANY_LANE = "*"


class PrinterRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str
    width_mm: int
    mode: str
    qr: str
    created_at: str
    lanes: list[str] = []


class JobRow(msgspec.Struct, frozen=True, kw_only=True):
    job_id: int
    printer: str
    kind: str
    subject: str
    lane_id: str | None
    reprint: bool
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    note: str | None
    created_at: str
    finished_at: str | None


_PRINTER = "name, url, width_mm, mode, qr, created_at"
_JOB = ", ".join(JobRow.__struct_fields__)


# --- printers ----------------------------------------------------------------------------------------

def add_printer(conn: sqlite3.Connection, p: PrinterRow) -> None:
    """Insert a printer and its lanes; IntegrityError when the name or a lane is taken."""
    conn.execute(f"INSERT INTO printers ({_PRINTER}) VALUES (?, ?, ?, ?, ?, ?)",
                 (p.name, p.url, p.width_mm, p.mode, p.qr, p.created_at))
    conn.executemany("INSERT INTO printer_lanes (lane_id, printer) VALUES (?, ?)", [(lane, p.name) for lane in p.lanes])


def remove_printer(conn: sqlite3.Connection, name: str) -> bool:
    conn.execute("DELETE FROM printer_lanes WHERE printer = ?", (name,))
    return conn.execute("DELETE FROM printers WHERE name = ?", (name,)).rowcount > 0


def lane_holder(conn: sqlite3.Connection, lane_id: str) -> str | None:
    row = conn.execute("SELECT printer FROM printer_lanes WHERE lane_id = ?", (lane_id,)).fetchone()
    return row[0] if row else None


def printers(conn: sqlite3.Connection) -> list[PrinterRow]:
    lanes: dict[str, list[str]] = {}
    for lane, name in conn.execute("SELECT lane_id, printer FROM printer_lanes ORDER BY lane_id"):
        lanes.setdefault(name, []).append(lane)
    return [PrinterRow(**dict(zip(PrinterRow.__struct_fields__, r, strict=False)), lanes=lanes.get(r[0], []))
            for r in conn.execute(f"SELECT {_PRINTER} FROM printers ORDER BY name")]


def printer(conn: sqlite3.Connection, name: str) -> PrinterRow | None:
    return next((p for p in printers(conn) if p.name == name), None)


def printer_for_lane(conn: sqlite3.Connection, lane_id: str) -> str | None:
    """The lane's own printer, else the printer serving every lane, else None (one indexed read)."""
    row = conn.execute("SELECT printer FROM printer_lanes WHERE lane_id IN (?, ?) ORDER BY lane_id = ? LIMIT 1",
                       (lane_id, ANY_LANE, ANY_LANE)).fetchone()
    return row[0] if row else None


# --- jobs --------------------------------------------------------------------------------------------

def add_job(conn: sqlite3.Connection, printer_name: str, kind: str, subject: str, lane_id: str | None,
            reprint: bool, now: datetime) -> int:
    at = iso(now)
    cur = conn.execute("INSERT INTO print_jobs (printer, kind, subject, lane_id, reprint, status, next_attempt_at, "
                       "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                       (printer_name, kind, subject, lane_id, int(reprint), at, at))
    return int(cur.lastrowid or 0)


def printed_before(conn: sqlite3.Connection, kind: str, subject: str) -> bool:
    """Whether a job of this kind for this subject exists already: the next one is a reprint."""
    return conn.execute("SELECT 1 FROM print_jobs WHERE kind = ? AND subject = ? LIMIT 1",
                        (kind, subject)).fetchone() is not None


def _job(row: tuple | None) -> JobRow | None:
    if row is None:
        return None
    values = dict(zip(JobRow.__struct_fields__, row, strict=True))
    values["reprint"] = bool(values["reprint"])
    return JobRow(**values)


def job(conn: sqlite3.Connection, job_id: int) -> JobRow | None:
    return _job(conn.execute(f"SELECT {_JOB} FROM print_jobs WHERE job_id = ?", (job_id,)).fetchone())


def due(conn: sqlite3.Connection, now: datetime) -> list[JobRow]:
    """The oldest due job of each printer: a printer prints in order, and a printer that is stuck
    never keeps another printer's jobs waiting. (SQLite takes the bare columns from the row that
    holds the min().)"""
    rows = conn.execute(f"SELECT {_JOB}, min(job_id) FROM print_jobs WHERE status = 'pending' "
                        "AND next_attempt_at <= ? GROUP BY printer", (iso(now),)).fetchall()
    return [j for r in rows if (j := _job(r[:-1])) is not None]


def next_due_at(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT min(next_attempt_at) FROM print_jobs WHERE status = 'pending'").fetchone()
    return row[0] if row else None


def jobs(conn: sqlite3.Connection, status: str | None = None, subject: str | None = None,
         limit: int = 200) -> list[JobRow]:
    where, args = [], []
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if subject is not None:
        where.append("subject = ?")
        args.append(subject)
    sql = f"SELECT {_JOB} FROM print_jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = conn.execute(sql + " ORDER BY job_id DESC LIMIT ?", (*args, limit)).fetchall()
    return [j for r in rows if (j := _job(r)) is not None]


def mark_done(conn: sqlite3.Connection, job_id: int, note: str, now: datetime) -> None:
    conn.execute("UPDATE print_jobs SET status = 'done', attempts = attempts + 1, note = ?, finished_at = ? "
                 "WHERE job_id = ? AND status = 'pending'", (note or None, iso(now), job_id))


def mark_attempt_failed(conn: sqlite3.Connection, job_id: int, error: str, retry_at: datetime | None,
                        now: datetime) -> None:
    """Record a failed attempt of one job: pending again at `retry_at`, or failed when it is None."""
    if retry_at is None:
        conn.execute("UPDATE print_jobs SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                     "finished_at = ? WHERE job_id = ? AND status = 'pending'", (error, iso(now), job_id))
    else:
        conn.execute("UPDATE print_jobs SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                     "WHERE job_id = ? AND status = 'pending'", (error, iso(retry_at), job_id))


def mark_printer_failed(conn: sqlite3.Connection, printer_name: str, error: str, retry_times: list[datetime],
                        now: datetime) -> int:
    """A printer failed an attempt: every job of it that was due shares the attempt, so a printer
    that is off moves its whole queue through the retries at once and the manager sees all of it
    failed within minutes, instead of one job after another for hours. `retry_times[n]` is when
    a job that has made n attempts tries again; past the last, it has failed. Returns jobs touched."""
    at = iso(now)
    failed = conn.execute("UPDATE print_jobs SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                          "finished_at = ? WHERE printer = ? AND status = 'pending' AND next_attempt_at <= ? "
                          "AND attempts >= ?", (error, at, printer_name, at, len(retry_times))).rowcount
    if not retry_times:
        return failed
    case = " ".join(f"WHEN {n} THEN ?" for n in range(len(retry_times)))
    retried = conn.execute(f"UPDATE print_jobs SET next_attempt_at = CASE attempts {case} END, "
                           "attempts = attempts + 1, last_error = ? WHERE printer = ? AND status = 'pending' "
                           "AND next_attempt_at <= ? AND attempts < ?",
                           (*(iso(t) for t in retry_times), error, printer_name, at, len(retry_times))).rowcount
    return failed + retried


def failed_at(conn: sqlite3.Connection, at: datetime, printer_name: str | None = None,
              job_id: int | None = None) -> list[JobRow]:
    """Jobs that ended failed at `at` (of one printer, or one job): what the manager must hear of."""
    sql, args = f"SELECT {_JOB} FROM print_jobs WHERE status = 'failed' AND finished_at = ?", [iso(at)]
    if printer_name is not None:
        sql, args = sql + " AND printer = ?", [*args, printer_name]
    if job_id is not None:
        sql, args = sql + " AND job_id = ?", [*args, job_id]
    return [j for r in conn.execute(sql, args).fetchall() if (j := _job(r)) is not None]


def resolve(conn: sqlite3.Connection, job_id: int, now: datetime) -> bool:
    """A failed job the manager dealt with (reprinted or dismissed) leaves the failed list."""
    return conn.execute("UPDATE print_jobs SET status = 'resolved', finished_at = ? WHERE job_id = ? "
                        "AND status = 'failed'", (iso(now), job_id)).rowcount > 0
