"""Printing: jobs queued in the store's database, sent by a worker beside the app, retried with
backoff, and listed for the manager when they fail for good.

The till never waits on a printer. A sale queues its receipt inside its own transaction (one
INSERT); the worker reads due jobs, renders and sends each on a thread of its own pool with the
printer's deadline, and records the outcome through the writer. A printer that is off, refuses,
never reads or hangs up ties up only its own job, for at most its deadline.
"""

import asyncio
import logging
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from printers.document import PAPERS
from printers.encode import encode
from printers.raster import preview_png
from printers.slips import printer_test_page
from printers.transports import BadPrinterUrl, PrintFailed, Sent, parse_url, send

from ..domain.clock import iso
from ..domain.errors import Conflict, FieldError, InvalidInput, NotFound
from ..store import coupons as coupon_repo
from ..store import exceptions as exceptions_repo
from ..store import join as join_repo
from ..store import print_jobs as repo
from ..store.writer import WriterStopped, after_commit
from . import print_docs
from .background import beside_app
from .runtime import StoreRuntime

log = logging.getLogger("store_edge.printing")
RETRY_DELAYS: tuple[float, ...] = (5.0, 20.0, 60.0)  # before each retry; after the last, the job has failed
POLL_SECONDS = 0.2  # how soon a queued job is picked up (one indexed read of the queue)
MAX_PARALLEL = 4  # printers served at once; each printer takes one job at a time
NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,40}$"
LANE_PATTERN = r"^(\*|[A-Za-z0-9_.:\-]{1,64})$"


# --- queueing, inside the command that makes what is printed --------------------------------------

def enqueue_receipt(conn: sqlite3.Connection, sale_id: str, lane_id: str, now: datetime) -> int | None:
    """In the sale's own transaction: queue its receipt on the lane's printer, if it has one."""
    return _enqueue(conn, "receipt", sale_id, lane_id, now)


def enqueue_void_slip(conn: sqlite3.Connection, sale_id: str, lane_id: str, now: datetime) -> int | None:
    """In the void's own transaction: queue a void slip on the sale lane's printer, if it has one."""
    return _enqueue(conn, "void", sale_id, lane_id, now)


def _enqueue(conn: sqlite3.Connection, kind: str, subject: str, lane_id: str, now: datetime) -> int | None:
    name = repo.printer_for_lane(conn, lane_id)
    if name is None:
        return None
    job_id = repo.add_job(conn, name, kind, subject, lane_id, False, now)
    after_commit(_wake_workers)
    return job_id


# --- asked for: print, reprint, coupon slips, posters ----------------------------------------------

async def print_sale(store: StoreRuntime, sale_id: str, lane_id: str | None) -> repo.JobRow:
    """Queue a sale's receipt on a lane's printer (the sale's lane by default). When a receipt of
    this sale came out before, this one says 重印 REPRINT."""
    sale = print_docs.recorded_sale(store.reader.conn, sale_id)
    lane = lane_id or sale.lane_id

    def command(conn: sqlite3.Connection) -> repo.JobRow:
        name = _lane_printer(conn, lane, "lane_id" if lane_id else "sale_id")
        reprint = any(j.status == "done" for j in repo.jobs(conn, subject=sale_id) if j.kind == "receipt")
        return _queued(conn, repo.add_job(conn, name, "receipt", sale_id, lane, reprint, store.clock()))

    return await store.writer.run(command)


async def print_coupon(store: StoreRuntime, code: str, lane_id: str) -> repo.JobRow:
    """Queue a coupon slip (code, QR, conditions, expiry) on the lane's printer."""
    if coupon_repo.by_code(store.reader.conn, code) is None:
        raise NotFound(f"no coupon {code}", [FieldError("code", "no such coupon")])

    def command(conn: sqlite3.Connection) -> repo.JobRow:
        name = _lane_printer(conn, lane_id, "lane_id")
        return _queued(conn, repo.add_job(conn, name, "coupon", code, lane_id, False, store.clock()))

    return await store.writer.run(command)


async def print_poster(store: StoreRuntime, standee_id: str, printer_name: str) -> repo.JobRow:
    """Queue a standee's poster on a printer that takes images."""
    if join_repo.standee(store.reader.conn, standee_id) is None:
        raise NotFound(f"no standee {standee_id}", [FieldError("standee_id", "no such standee")])

    def command(conn: sqlite3.Connection) -> repo.JobRow:
        if repo.printer(conn, printer_name) is None:
            raise NotFound(f"no printer {printer_name}", [FieldError("printer", "no such printer")])
        return _queued(conn, repo.add_job(conn, printer_name, "poster", standee_id, None, False, store.clock()))

    return await store.writer.run(command)


async def reprint_job(store: StoreRuntime, job_id: int) -> repo.JobRow:
    """The manager's reprint of a failed job: it leaves the failed list and a new job is queued on
    the same printer (marked 重印 when a copy came out before)."""

    def command(conn: sqlite3.Connection) -> repo.JobRow:
        old = repo.job(conn, job_id)
        if old is None:
            raise NotFound(f"no print job {job_id}", [FieldError("job_id", "no such print job")])
        if old.status != "failed":
            raise Conflict(f"print job {job_id} is {old.status}, not failed",
                           [FieldError("job_id", f"only a failed job is reprinted here; this one is {old.status}")])
        now = store.clock()
        repo.resolve(conn, job_id, now)
        exceptions_repo.resolve(conn, _exception_id(job_id), "reprinted", now)
        reprint = any(j.status == "done" for j in repo.jobs(conn, subject=old.subject) if j.kind == old.kind)
        return _queued(conn, repo.add_job(conn, old.printer, old.kind, old.subject, old.lane_id, reprint, now))

    return await store.writer.run(command)


def _exception_id(job_id: int) -> str:
    return f"print-{job_id}"


def _tell_manager(conn: sqlite3.Connection, failed: list[repo.JobRow], now: datetime) -> None:
    """A job that ended failed is also on the manager's exceptions list (resolved by its reprint)."""
    for job in failed:
        sale_id = job.subject if job.kind in ("receipt", "void") else None
        exceptions_repo.add(conn, "print_failed", f"{job.kind} {job.subject} did not print on {job.printer}",
                            now, exception_id=_exception_id(job.job_id), sale_id=sale_id, lane_id=job.lane_id,
                            error=job.last_error)


def _lane_printer(conn: sqlite3.Connection, lane_id: str, field_name: str) -> str:
    name = repo.printer_for_lane(conn, lane_id)
    if name is None:
        raise Conflict(f"lane {lane_id} has no printer",
                       [FieldError(field_name, f"lane {lane_id} has no printer: store-edge printers add")])
    return name


def _queued(conn: sqlite3.Connection, job_id: int) -> repo.JobRow:
    after_commit(_wake_workers)
    job = repo.job(conn, job_id)
    assert job is not None
    return job


def failed_jobs(store: StoreRuntime) -> list[repo.JobRow]:
    return repo.jobs(store.reader.conn, status="failed")


def jobs_of_sale(store: StoreRuntime, sale_id: str) -> list[repo.JobRow]:
    return repo.jobs(store.reader.conn, subject=sale_id)


def receipt_png(store: StoreRuntime, sale_id: str, width_mm: int) -> bytes:
    """The receipt preview a POS shows on its screen (the same layout the printer gets)."""
    if width_mm not in PAPERS:
        raise InvalidInput.on("width", "58 or 80")
    return preview_png(print_docs.preview_document(store, sale_id, width_mm))


# --- printers: configured in the store database ------------------------------------------------------

@dataclass(frozen=True)
class PrinterSpec:
    name: str
    url: str
    width_mm: int = 80
    mode: str = "text"
    qr: str = "native"
    lanes: tuple[str, ...] = ()


def check_spec(spec: PrinterSpec) -> None:
    """Every field checked, each problem naming its field (the URL reaches logs and the manager page)."""
    errors = []
    if not re.match(NAME_PATTERN, spec.name):
        errors.append(FieldError("name", "1-40 letters, digits, '.', '_' or '-'"))
    try:
        parse_url(spec.url)
    except BadPrinterUrl as exc:
        errors.append(FieldError("url", str(exc)))
    if spec.width_mm not in PAPERS:
        errors.append(FieldError("width", "58 or 80"))
    if spec.mode not in ("text", "raster"):
        errors.append(FieldError("mode", "text (the printer has a Chinese font) or raster"))
    if spec.qr not in ("native", "raster"):
        errors.append(FieldError("qr", "native or raster"))
    for lane in spec.lanes:
        if not re.match(LANE_PATTERN, lane):
            errors.append(FieldError("lanes", f"{lane!r} is not a lane id (or * for every lane)"))
    if errors:
        raise InvalidInput("the printer is not valid", errors)


def add_printer(store: StoreRuntime, spec: PrinterSpec) -> repo.PrinterRow:
    check_spec(spec)
    row = repo.PrinterRow(name=spec.name, url=spec.url, width_mm=spec.width_mm, mode=spec.mode, qr=spec.qr,
                          created_at=iso(store.clock()), lanes=list(dict.fromkeys(spec.lanes)))

    def command(conn: sqlite3.Connection) -> repo.PrinterRow:
        if repo.printer(conn, spec.name) is not None:
            raise Conflict(f"printer {spec.name} exists", [FieldError("name", "a printer has this name")])
        for lane in row.lanes:
            if (holder := repo.lane_holder(conn, lane)) is not None:
                raise Conflict(f"lane {lane} is served by {holder}",
                               [FieldError("lanes", f"lane {lane} already prints on {holder}")])
        repo.add_printer(conn, row)
        return row

    return store.writer.call(command)


def remove_printer(store: StoreRuntime, name: str) -> None:
    if not store.writer.call(lambda conn: repo.remove_printer(conn, name)):
        raise NotFound(f"no printer {name}", [FieldError("printer", "no such printer")])


def list_printers(store: StoreRuntime) -> list[repo.PrinterRow]:
    return repo.printers(store.reader.conn)


@dataclass(frozen=True)
class TestPageReport:
    printer: repo.PrinterRow
    bytes_sent: int
    note: str
    error: str | None


def send_test_page(store: StoreRuntime, name: str) -> TestPageReport:
    """Send the test page now (not through the queue) and say what the printer did with it."""
    printer = repo.printer(store.reader.conn, name)
    if printer is None:
        raise NotFound(f"no printer {name}", [FieldError("printer", "no such printer")])
    data = encode(printer_test_page(printer.name, printer.url, PAPERS[printer.width_mm]), printer.mode, printer.qr)
    try:
        sent = send(parse_url(printer.url), data)
    except PrintFailed as exc:
        return TestPageReport(printer, 0, "", str(exc))
    return TestPageReport(printer, sent.bytes_sent, sent.note, None)


# --- the worker ------------------------------------------------------------------------------------

# Running workers' wake-up events: a commit that queued a job sets them (from the writer thread), so
# the job goes out at once rather than at the next poll. Only a hint: the poll alone finds every job.
_wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


def _wake_workers() -> None:
    for loop, event in list(_wakers):
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # that loop closed
            _wakers.discard((loop, event))


def render_and_send(store: StoreRuntime, job: repo.JobRow) -> Sent:
    """Runs on a print thread: the job's document from what the store recorded, encoded for its
    printer, sent within the printer's deadline."""
    conn = store.reader.conn
    printer = repo.printer(conn, job.printer)
    if printer is None:
        raise PrintFailed(f"printer {job.printer} was removed")
    address = parse_url(printer.url)
    data = encode(print_docs.job_document(store, conn, job, printer), printer.mode, printer.qr)  # type: ignore[arg-type]
    return send(address, data)


async def run_job(store: StoreRuntime, pool: ThreadPoolExecutor, job: repo.JobRow) -> bool:
    """Send one job and record the outcome: done; or, when the printer failed, this job and the
    printer's other due jobs pending again after a backoff, or failed; or, when the job itself
    cannot be printed (its sale is gone), this job failed. True when the printer failed."""
    loop = asyncio.get_running_loop()
    try:
        sent = await loop.run_in_executor(pool, render_and_send, store, job)
    except PrintFailed as exc:
        now = store.clock()
        error = str(exc)
        log.warning("print job %d on %s: %s", job.job_id, job.printer, error)
        retry_times = [now + timedelta(seconds=d) for d in RETRY_DELAYS]
        def printer_failed(conn: sqlite3.Connection) -> None:
            repo.mark_printer_failed(conn, job.printer, error, retry_times, now)
            _tell_manager(conn, repo.failed_at(conn, now, printer_name=job.printer), now)

        await store.writer.run(printer_failed)
        return True
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the job must end done or failed
        if isinstance(exc, NotFound):
            error = exc.detail
        else:
            error = f"could not print: {type(exc).__name__}"
            log.exception("print job %d failed", job.job_id)
        now = store.clock()

        def job_failed(conn: sqlite3.Connection) -> None:
            repo.mark_attempt_failed(conn, job.job_id, error, None, now)
            _tell_manager(conn, repo.failed_at(conn, now, job_id=job.job_id), now)

        await store.writer.run(job_failed)
        return False
    await store.writer.run(lambda conn: repo.mark_done(conn, job.job_id, sent.note, store.clock()))
    return False


async def print_loop(store: StoreRuntime) -> None:
    """Beside the app: pick up due jobs, one per printer at a time, until cancelled."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    _wakers.add((loop, wake))
    pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="printer")
    busy: dict[str, asyncio.Task] = {}  # printer name -> its job in flight
    # A printer that just failed is left alone for the first backoff, even for jobs queued since:
    # trying each new receipt on a printer that is off would cost a writer commit per sale, and
    # the lanes share the writer. Its next attempt covers every job then due.
    failed_at: dict[str, float] = {}
    try:
        while True:
            wake.clear()
            hold = RETRY_DELAYS[0] if RETRY_DELAYS else 0.0
            try:
                due = repo.due(store.reader.conn, store.clock())
            except sqlite3.Error:
                log.exception("reading the print queue failed")
                due = []
            for job in due:
                if job.printer in busy or len(busy) >= MAX_PARALLEL:
                    continue
                if loop.time() - failed_at.get(job.printer, -hold - 1) < hold:
                    continue
                task = loop.create_task(_guarded(store, pool, job, failed_at))
                busy[job.printer] = task
                task.add_done_callback(lambda _t, name=job.printer: (busy.pop(name, None), wake.set()))
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancel that lands as the
            # event fires, and the app's shutdown then waits for this loop forever
            try:
                async with asyncio.timeout(POLL_SECONDS):
                    await wake.wait()
            except TimeoutError:
                pass
    finally:
        _wakers.discard((loop, wake))
        for task in list(busy.values()):
            task.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


async def _guarded(store: StoreRuntime, pool: ThreadPoolExecutor, job: repo.JobRow, failed_at: dict[str, float]) -> None:
    try:
        if await run_job(store, pool, job):
            failed_at[job.printer] = asyncio.get_running_loop().time()
        else:
            failed_at.pop(job.printer, None)
    except WriterStopped:
        pass  # shutting down: the job is still pending and goes out after the restart
    except Exception:  # the loop must outlive any one job
        log.exception("print job %d", job.job_id)


start_printing, stop_printing = beside_app("printing", print_loop)
