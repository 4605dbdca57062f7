"""The HQ puller: many stores at once (bounded), verify, ingest, acknowledge, resume; never stop for one store.

Per store: list batches after the warehouse cursor (in the cursor's epoch), fetch each body,
check its sha256 and HMAC against the store's sync key, ingest (events + batch + cursor in one
transaction), then acknowledge through the last ingested batch. An interruption anywhere is
safe: the cursor only moves with the data, and the store keeps whatever is not acknowledged.
"""

import asyncio
import hashlib
import random
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import msgspec

from ..wire import BatchHeader, BatchList, batch_signature, same
from . import warehouse
from .stores import StoreEntry


class PullError(Exception):
    """A store could not be pulled this time; the message says why."""


class TamperedBatch(PullError):
    """A batch failed its checksum or signature: nothing of it was ingested."""


@dataclass
class PullOptions:
    concurrency: int = 16
    page: int = 100
    attempts: int = 4  # per request, with exponential backoff and jitter
    backoff: float = 0.2
    timeout: float = 30.0
    ack_timeout: float = 10.0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass
class StoreResult:
    store_id: str
    batches: int = 0
    events: int = 0
    new_events: int = 0
    acked_through: int | None = None
    new_epoch: bool = False
    error: str | None = None


@dataclass
class PullReport:
    results: list[StoreResult] = field(default_factory=list)

    @property
    def failed(self) -> list[StoreResult]:
        return [r for r in self.results if r.error]

    @property
    def new_events(self) -> int:
        return sum(r.new_events for r in self.results)


_decode_list = msgspec.json.Decoder(BatchList)
RETRY_STATUS = {429, 500, 502, 503, 504}


async def _request(client: httpx.AsyncClient, method: str, url: str, opts: PullOptions, **kw) -> httpx.Response:
    """One request with bounded retries on transport errors and 5xx/429; 4xx is answered at once."""
    for attempt in range(opts.attempts):
        try:
            resp = await client.request(method, url, **kw)
            if resp.status_code not in RETRY_STATUS:
                return resp
            last: Exception = PullError(f"{method} {url}: HTTP {resp.status_code}")
        except httpx.TransportError as exc:  # refused, reset, timed out, body cut short
            last = PullError(f"{method} {url}: {type(exc).__name__}: {exc}")
        if attempt + 1 < opts.attempts:
            await asyncio.sleep(opts.backoff * (2 ** attempt) * (0.5 + random.random()))
    raise last


def verify_header(entry: StoreEntry, h: BatchHeader) -> None:
    expected = batch_signature(entry.sync_key_bytes, entry.store_id, h.epoch_id, h.batch_seq, h.first_seq,
                               h.last_seq, h.count, h.sha256)
    if h.store_id != entry.store_id or not same(expected, h.signature):
        raise TamperedBatch(f"batch {h.batch_seq}: header signature does not verify with the store's sync key")


def verify_body(entry: StoreEntry, h: BatchHeader, resp: httpx.Response) -> list[warehouse.Event]:
    body = resp.content
    if not same(hashlib.sha256(body).hexdigest(), h.sha256) or resp.headers.get("x-body-sha256") != h.sha256:
        raise TamperedBatch(f"batch {h.batch_seq}: body sha256 does not match the signed header")
    try:
        events = warehouse.decode_events(body)
    except msgspec.DecodeError as exc:
        raise TamperedBatch(f"batch {h.batch_seq}: body does not decode: {exc}") from None
    if len(events) != h.count or (events and (events[0].seq, events[-1].seq) != (h.first_seq, h.last_seq)):
        raise TamperedBatch(f"batch {h.batch_seq}: events do not match the header's range and count")
    return events


class Puller:
    """Pulls stores into one warehouse connection; warehouse writes run on one thread, in order."""

    def __init__(self, conn: sqlite3.Connection, opts: PullOptions | None = None,
                 on_batch: Callable[[str, int], None] | None = None,
                 on_store: Callable[[StoreResult], None] | None = None) -> None:
        self.conn = conn
        self.opts = opts or PullOptions()
        self.on_batch = on_batch or (lambda store_id, events: None)
        self.on_store = on_store or (lambda result: None)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warehouse")

    async def _db_call(self, fn: Callable, *args):  # noqa: ANN202
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, self.conn, *args)

    async def pull_all(self, entries: list[StoreEntry]) -> PullReport:
        sem = asyncio.Semaphore(self.opts.concurrency)
        limits = httpx.Limits(max_connections=self.opts.concurrency * 2, max_keepalive_connections=self.opts.concurrency)
        timeout = httpx.Timeout(self.opts.timeout, pool=None)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:

            async def one(entry: StoreEntry) -> StoreResult:
                async with sem:
                    result = await self.pull_store(client, entry)
                self.on_store(result)
                return result

            results = await asyncio.gather(*(one(e) for e in entries))
        return PullReport(list(results))

    async def pull_store(self, client: httpx.AsyncClient, entry: StoreEntry) -> StoreResult:
        """Pull one store to the end; any failure is recorded for `hq status` and returned, never raised."""
        result = StoreResult(entry.store_id)
        listing: BatchList | None = None
        try:
            epoch, through = await self._db_call(warehouse.cursor, entry.store_id)
            auth = {"Authorization": f"Bearer {entry.key}"}
            base = entry.url.rstrip("/")
            while True:
                params = {"after": through, "limit": self.opts.page, "store": entry.store_id,
                          **({"epoch": epoch} if epoch else {})}
                resp = await _request(client, "GET", f"{base}/sync/v1/batches", self.opts, params=params, headers=auth)
                if resp.status_code != 200:
                    raise PullError(f"listing batches: HTTP {resp.status_code}: {resp.text[:200]}")
                listing = _decode_list.decode(resp.content)
                if listing.store_id != entry.store_id:
                    raise PullError(f"the server at {entry.url} is store {listing.store_id}, not {entry.store_id}")
                if listing.epoch_id != epoch:
                    result.new_epoch = await self._db_call(warehouse.note_epoch, entry.store_id, listing.epoch_id,
                                                           listing.epoch_first_batch_seq, self.opts.clock())
                    epoch, through = await self._db_call(warehouse.cursor, entry.store_id)
                progressed = False
                for header in listing.batches:
                    if header.batch_seq <= through:
                        continue
                    progressed = True
                    verify_header(entry, header)
                    body = await _request(client, "GET", f"{base}/sync/v1/batches/{header.batch_seq}", self.opts,
                                          headers={**auth, "Accept-Encoding": "gzip"})
                    if body.status_code != 200:
                        raise PullError(f"batch {header.batch_seq}: HTTP {body.status_code}")
                    events = verify_body(entry, header, body)
                    keys = [(k.kid, bytes.fromhex(k.key)) for k in listing.keys if k.batch_seq == header.batch_seq]
                    new = await self._db_call(warehouse.ingest_batch, entry.store_id, epoch, header, events,
                                              self.opts.clock(), keys)
                    through = header.batch_seq
                    result.batches += 1
                    result.events += len(events)
                    result.new_events += new
                    self.on_batch(entry.store_id, len(events))
                if listing.acked_through < through <= listing.last_batch_seq:  # also re-sends a lost ack
                    result.acked_through = await self._ack(client, base, auth, epoch, through)
                if len(listing.batches) < self.opts.page or not progressed:
                    break
            await self._db_call(_record_ok, entry.store_id, self.opts.clock(), listing, result.acked_through)
        except Exception as exc:  # noqa: BLE001 - one store's failure never stops the others
            result.error = str(exc) or type(exc).__name__
            await self._db_call(_record_error, entry.store_id, self.opts.clock(), result.error, listing)
        return result

    async def _ack(self, client: httpx.AsyncClient, base: str, auth: dict, epoch: str | None, through: int) -> int:
        resp = await _request(client, "POST", f"{base}/sync/v1/ack", self.opts, headers=auth,
                              json={"epoch_id": epoch, "through_batch_seq": through},
                              timeout=httpx.Timeout(self.opts.ack_timeout, pool=None))
        if resp.status_code != 200:
            raise PullError(f"ack through {through}: HTTP {resp.status_code}: {resp.text[:200]}")
        return resp.json()["acked_through"]

    def close(self) -> None:
        self._db.shutdown(wait=True)


def _record_ok(conn: sqlite3.Connection, store_id: str, now: datetime, listing: BatchList | None,
               acked: int | None) -> None:
    warehouse.record_pull(conn, store_id, now, last_batch_seq=listing.last_batch_seq if listing else None,
                          acked_through=acked if acked is not None else (listing.acked_through if listing else None),
                          config_version=listing.config_version if listing else None)


def _record_error(conn: sqlite3.Connection, store_id: str, now: datetime, error: str,
                  listing: BatchList | None) -> None:
    _, through = warehouse.cursor(conn, store_id)
    oldest = None
    if listing is not None:
        oldest = next((b.oldest_at for b in listing.batches if b.batch_seq > through), None)
    warehouse.record_pull(conn, store_id, now, error=error,
                          last_batch_seq=listing.last_batch_seq if listing else None, oldest_unpulled_at=oldest)


def _run(coro):  # noqa: ANN001, ANN202
    try:
        import uvloop  # a faster event loop (a dependency, except on Windows): ~30% more events/s
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def pull(conn: sqlite3.Connection, entries: list[StoreEntry], opts: PullOptions | None = None,
         on_batch: Callable[[str, int], None] | None = None,
         on_store: Callable[[StoreResult], None] | None = None) -> PullReport:
    """Pull every store once, to the end; return what happened per store."""
    puller = Puller(conn, opts, on_batch, on_store)
    try:
        return _run(puller.pull_all(entries))
    finally:
        puller.close()
