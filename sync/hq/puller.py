"""The HQ puller: many stores at once (bounded), verify, ingest, acknowledge, resume; never stop for one store.

Per store: list batches after the warehouse cursor (in the cursor's epoch), fetch each body,
check its sha256 and HMAC against the store's sync key, ingest (events + batch + cursor in one
transaction), then acknowledge through the last ingested batch. An interruption anywhere is
safe: the cursor only moves with the data, and the store keeps whatever is not acknowledged.

Pullers share the chain through the warehouse: each leases a few stores at a time (a row lock
skipped by the others, and an expiry), renews its leases while it pulls, and releases each store
when done. A puller that dies keeps its stores only until its leases expire; then any other
puller takes them (at once, if it runs on the same machine and sees the dead one's process gone).
A run ends when every store of the stores file was pulled by someone since the run began.
"""

import asyncio
import hashlib
import os
import random
import secrets
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
    lease_seconds: float = 60.0  # a dead puller's stores wait this long for another puller
    holder: str = field(default_factory=lambda: default_holder())
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def default_holder() -> str:
    """host:pid:token, so a puller on the same host can tell this one's process is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_dead(holder: str) -> bool:
    """True only when the holder ran on this host and its process is gone (a reused pid reads as alive)."""
    host, _, rest = holder.partition(":")
    pid, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or not token:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class StoreResult:
    store_id: str
    batches: int = 0
    events: int = 0
    new_events: int = 0
    acked_through: int | None = None
    new_epoch: bool = False
    error: str | None = None
    taken_over_from: str | None = None  # the puller whose lease on this store had expired
    handed_over: bool = False  # our lease expired and another puller took the store midway


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
    """Pulls stores into one warehouse connection; warehouse calls run on one thread, in order."""

    def __init__(self, wh: warehouse.Warehouse, opts: PullOptions | None = None,
                 on_batch: Callable[[str, int], None] | None = None,
                 on_store: Callable[[StoreResult], None] | None = None) -> None:
        self.wh = wh
        self.opts = opts or PullOptions()
        self.on_batch = on_batch or (lambda store_id, events: None)
        self.on_store = on_store or (lambda result: None)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warehouse")
        self.held: set[str] = set()

    async def _db_call(self, fn: Callable, *args):  # noqa: ANN202
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def pull_all(self, entries: list[StoreEntry]) -> PullReport:
        """Lease stores and pull them, `concurrency` at a time, until every one was pulled since we began."""
        by_id = {e.store_id: e for e in entries}
        ttl = timedelta(seconds=self.opts.lease_seconds)
        poll = min(1.0, self.opts.lease_seconds / 4)
        await self._db_call(self.wh.register_stores, list(by_id))
        await self._db_call(self.wh.prepare, self.opts.clock())
        since = await self._db_call(self.wh.now)
        limits = httpx.Limits(max_connections=self.opts.concurrency * 2, max_keepalive_connections=self.opts.concurrency)
        timeout = httpx.Timeout(self.opts.timeout, pool=None)
        results: list[StoreResult] = []
        renewer = asyncio.create_task(self._renew(ttl))
        try:
            async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:

                async def one(store_id: str, was: str | None) -> None:
                    result = await self.pull_store(client, by_id[store_id], was)
                    self.held.discard(store_id)
                    results.append(result)
                    self.on_store(result)

                active: set[asyncio.Task] = set()
                while True:
                    free = self.opts.concurrency - len(active)
                    claimed = []
                    if free > 0:
                        claimed = await self._db_call(self.wh.claim, self.opts.holder, free, since, ttl)
                    for store_id, was in claimed:
                        self.held.add(store_id)
                        active.add(asyncio.create_task(one(store_id, was)))
                    if active:
                        done, active = await asyncio.wait(active, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                        for task in done:
                            task.result()
                        continue
                    if claimed:
                        continue
                    if (await self._db_call(self.wh.waiting, since))[0] == 0:
                        break  # every store was pulled by someone since we began
                    if not await self._db_call(self._expire_dead_holders):
                        await asyncio.sleep(poll)  # others hold the rest: they finish, or their leases run out
        finally:
            renewer.cancel()
        return PullReport(sorted(results, key=lambda r: r.store_id))

    def _expire_dead_holders(self) -> int:
        """End the leases of pullers that ran on this host and are gone; return how many holders."""
        dead = [h for h in self.wh.lease_holders() if h != self.opts.holder and holder_is_dead(h)]
        for holder in dead:
            self.wh.expire_leases(holder)
        return len(dead)

    async def _renew(self, ttl: timedelta) -> None:
        while True:
            await asyncio.sleep(ttl.total_seconds() / 3)
            if self.held:
                await self._db_call(self.wh.renew, self.opts.holder, sorted(self.held), ttl)

    async def pull_store(self, client: httpx.AsyncClient, entry: StoreEntry, was: str | None = None) -> StoreResult:
        """Pull one store to the end; any failure is recorded for `hq status` and returned, never raised."""
        result = StoreResult(entry.store_id, taken_over_from=was)
        listing: BatchList | None = None
        holder = self.opts.holder
        try:
            epoch, through = await self._db_call(self.wh.cursor, entry.store_id)
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
                    result.new_epoch = await self._db_call(self.wh.note_epoch, entry.store_id, listing.epoch_id,
                                                           listing.epoch_first_batch_seq, self.opts.clock())
                    epoch, through = await self._db_call(self.wh.cursor, entry.store_id)
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
                    new = await self._db_call(self.wh.ingest_batch, entry.store_id, epoch, header, events,
                                              self.opts.clock(), holder, keys)
                    through = header.batch_seq
                    result.batches += 1
                    result.events += len(events)
                    result.new_events += new
                    self.on_batch(entry.store_id, len(events))
                if listing.acked_through < through <= listing.last_batch_seq:  # also re-sends a lost ack
                    result.acked_through = await self._ack(client, base, auth, epoch, through)
                if len(listing.batches) < self.opts.page or not progressed:
                    break
            await self._db_call(_record_ok, self.wh, entry.store_id, self.opts.clock(), listing, result.acked_through,
                                holder)
        except warehouse.LeaseLost:
            result.handed_over = True  # the puller that took it over pulls it to the end and records it
        except Exception as exc:  # noqa: BLE001 - one store's failure never stops the others
            result.error = str(exc) or type(exc).__name__
            await self._db_call(_record_error, self.wh, entry.store_id, self.opts.clock(), result.error, listing,
                                holder)
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


def _record_ok(wh: warehouse.Warehouse, store_id: str, now: datetime, listing: BatchList | None,
               acked: int | None, holder: str) -> None:
    wh.record_pull(store_id, now, last_batch_seq=listing.last_batch_seq if listing else None,
                   acked_through=acked if acked is not None else (listing.acked_through if listing else None),
                   config_version=listing.config_version if listing else None, holder=holder)


def _record_error(wh: warehouse.Warehouse, store_id: str, now: datetime, error: str,
                  listing: BatchList | None, holder: str) -> None:
    _, through = wh.cursor(store_id)
    oldest = None
    if listing is not None:
        oldest = next((b.oldest_at for b in listing.batches if b.batch_seq > through), None)
    wh.record_pull(store_id, now, error=error, last_batch_seq=listing.last_batch_seq if listing else None,
                   oldest_unpulled_at=oldest, holder=holder)


def _run(coro):  # noqa: ANN001, ANN202
    try:
        import uvloop  # a faster event loop (a dependency, except on Windows): ~30% more events/s
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def pull(wh: warehouse.Warehouse, entries: list[StoreEntry], opts: PullOptions | None = None,
         on_batch: Callable[[str, int], None] | None = None,
         on_store: Callable[[StoreResult], None] | None = None) -> PullReport:
    """Pull every store once, to the end (sharing them with any other puller); return what this one did."""
    puller = Puller(wh, opts, on_batch, on_store)
    try:
        return _run(puller.pull_all(entries))
    finally:
        puller.close()
