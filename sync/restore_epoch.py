"""A restored store begins a new sync epoch before it serves again.

The restored file is behind what HQ may have seen: the service kept sealing and HQ kept pulling
after the backup was taken. Its batch and event seqs would be handed out again for other events, so
HQ must not read them in the old epoch. The new epoch is started on the restored copy itself (in the
restore's one transaction), not on HQ's next pull, so no request ever sees the old epoch over the
restored data.

What HQ acknowledged it holds: those batches stay acknowledged. Batches sealed but not acknowledged
HQ may or may not hold (the backup cannot know), so they are dropped and their events sealed again
in the new epoch; HQ's inbox is keyed by event id, so any it already has are ignored. Nothing is
lost and nothing counted twice. (On a pull, `batches.seal_for_pull` still catches a store restored
by hand: its epoch there marks everything acknowledged, since HQ's cursor proved it holds it.)
"""

import sqlite3
from datetime import datetime

import msgspec

from edge.domain.clock import iso
from edge.domain.ids import uuid7
from edge.store import meta

from .batches import EPOCH_FIRST_BATCH, EPOCH_HISTORY, LAST_BATCH, LAST_SEALED_EVENT

EPOCH_STARTED = "sync.epoch_started_at"
EPOCH_REASON = "sync.epoch_reason"


def start_epoch_after_restore(conn: sqlite3.Connection, now: datetime) -> str:
    """Begin a new epoch on a restored database (inside the caller's transaction); return its id."""
    first_unacked = conn.execute("SELECT batch_seq, first_seq FROM sync_batches WHERE acked_at IS NULL "
                                 "ORDER BY batch_seq LIMIT 1").fetchone()
    if first_unacked is not None:
        batch_seq, first_seq = first_unacked
        conn.execute("DELETE FROM sync_batches WHERE batch_seq >= ?", (batch_seq,))
        meta.set_meta(conn, LAST_BATCH, str(batch_seq - 1))
        meta.set_meta(conn, LAST_SEALED_EVENT, str(first_seq - 1))
    last_batch = int(meta.get_meta(conn, LAST_BATCH) or "0")
    history = msgspec.json.decode(meta.get_meta(conn, EPOCH_HISTORY) or "[]", type=list[str])
    old = meta.get_meta(conn, "epoch_id")
    if old:
        history.append(old)
    epoch = uuid7()
    meta.set_meta(conn, EPOCH_HISTORY, msgspec.json.encode(history).decode())
    meta.set_meta(conn, "epoch_id", epoch)
    meta.set_meta(conn, EPOCH_FIRST_BATCH, str(last_batch + 1))
    meta.set_meta(conn, EPOCH_STARTED, iso(now))
    meta.set_meta(conn, EPOCH_REASON, "restored from a backup")
    return epoch
