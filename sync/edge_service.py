"""The edge's sync commands over an open StoreRuntime: each is one writer transaction (or a read)."""

import sqlite3
from datetime import datetime

from edge.services.runtime import StoreRuntime
from edge.store import meta
from edge.store.outbox import count_after, occurred_at_after

from . import batches
from . import settings as sync_settings
from .join_rate_daily import emit_changed_days
from .wire import AckIn, AckOut, BatchHeader, BatchList, SyncStatus, batch_signature


def sync_key(store: StoreRuntime) -> bytes:
    """The store's sync key (signs batches, verifies bundles); read once per runtime."""
    return store.secret("sync_key")


# Batches sealed per writer transaction: one (<= 1,000 events, ~8 ms here, bench/sync_bench.py), so
# sales queue behind at most one batch. Ten per command put 40-50 ms on the sale p99 whenever the
# sync loop sealed during a rush (bench/till_bench.py).
SEAL_BATCHES_PER_COMMAND = 1
# Batches pruned per writer transaction: deleting a week of backlog that came due at once (HQ away,
# then one ack) in one transaction would hold the lanes for seconds.
PRUNE_BATCHES_PER_COMMAND = 2


def _seal_command(store: StoreRuntime, hq_epoch: str | None = None, after: int = 0, first: bool = True):  # noqa: ANN202
    key = sync_key(store)
    cfg = store.config

    def command(conn: sqlite3.Connection) -> list[int]:
        now = store.clock()
        if first:  # join_rate.daily events first, so they are sealed with the sales that changed them
            last_sealed = int(meta.get_meta(conn, batches.LAST_SEALED_EVENT) or "0")
            emit_changed_days(conn, cfg.store_id, now, cfg.tz, cfg.day_start, last_sealed)
        return batches.seal_for_pull(conn, cfg.store_id, key, now, hq_epoch if first else None, after,
                                     max_batches=SEAL_BATCHES_PER_COMMAND)

    return command


async def seal(store: StoreRuntime, hq_epoch: str | None = None, after: int = 0) -> None:
    """Seal everything pending, a few batches per writer transaction."""
    sealed = await store.writer.run(_seal_command(store, hq_epoch, after))
    while len(sealed) == SEAL_BATCHES_PER_COMMAND:
        sealed = await store.writer.run(_seal_command(store, first=False))


async def batches_for_hq(store: StoreRuntime, hq_epoch: str | None, after: int, limit: int) -> BatchList:
    """Seal what is pending (noticing a restore first), then list the batches after HQ's cursor."""
    await seal(store, hq_epoch, after)
    return batches.list_batches(store.reader.conn, store.config.store_id, hq_epoch, after, limit)


async def acknowledge(store: StoreRuntime, data: AckIn) -> AckOut:
    def command(conn: sqlite3.Connection) -> AckOut:
        now = store.clock()
        newly = batches.ack(conn, data.epoch_id, data.through_batch_seq, now)
        pruned = batches.prune(conn, now, max_batches=PRUNE_BATCHES_PER_COMMAND)  # the sync loop prunes the rest
        return AckOut(epoch_id=meta.get_meta(conn, "epoch_id") or "", acked_through=batches.acked_through(conn), newly_acked=newly,
                      pruned_events=pruned)

    return await store.writer.run(command)


async def prune_expired(store: StoreRuntime) -> int:
    """Prune acknowledged batches past the retention even when HQ sends no further ack, a few batches
    per writer transaction; return the events pruned."""
    total = 0
    while pruned := await store.writer.run(
            lambda conn: batches.prune(conn, store.clock(), max_batches=PRUNE_BATCHES_PER_COMMAND)):
        total += pruned
    return total


def sync_status(store: StoreRuntime) -> SyncStatus:
    return batches.status(store.reader.conn, store.config.store_id)


async def seal_by_age(store: StoreRuntime) -> None:
    """Seal when the oldest unsealed event is older than the configured age, or a full batch waits."""
    conn = store.reader.conn
    last_sealed = int(meta.get_meta(conn, batches.LAST_SEALED_EVENT) or "0")
    oldest = occurred_at_after(conn, last_sealed)  # events are appended in time order: the first is the oldest
    if oldest is None:
        return
    cfg = sync_settings.load(conn)  # read each tick, so a changed setting applies without a restart
    age = (store.clock() - datetime.fromisoformat(oldest)).total_seconds()
    # runs on the event loop: count no further than a full batch (counting a rush's backlog of
    # 300,000 events held every lane for ~40 ms)
    full = count_after(conn, last_sealed, at_most=cfg.batch_max_events) >= cfg.batch_max_events
    if full or age >= cfg.seal_max_age_seconds:
        await seal(store)


def signature_for(store: StoreRuntime, header: BatchHeader, sha256: str) -> str:
    """The signature of another representation (MessagePack) of a sealed batch: same header, its own sha256."""
    return batch_signature(sync_key(store), header.store_id, header.epoch_id, header.batch_seq, header.first_seq,
                           header.last_seq, header.count, sha256)
