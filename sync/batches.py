"""Sealing outbox events into immutable, signed batches; listing, serving, acknowledging and pruning them.

Every function taking a connection runs inside the store's writer transaction (or on a reader
for the read-only ones). A batch is sealed once: its gzip'd JSON-lines body is stored, so every
pull returns the same bytes. The HMAC covers store, epoch, batch seq, event range, count and the
body's sha256, so HQ can check a batch without trusting the transport.
"""

import gzip
import hashlib
import sqlite3
from datetime import datetime, timedelta

import msgspec

from edge.domain.clock import iso
from edge.domain.errors import Conflict, FieldError, NotFound
from edge.domain.ids import uuid7
from edge.store import data_keys, meta
from edge.store.outbox import count_after, occurred_at_after

from . import settings as sync_settings
from .wire import BatchEvent, BatchHeader, BatchList, DataKey, SyncStatus, batch_signature

LAST_BATCH = "sync.last_batch_seq"
LAST_SEALED_EVENT = "sync.last_sealed_event_seq"
EPOCH_FIRST_BATCH = "sync.epoch_first_batch_seq"
EPOCH_HISTORY = "sync.past_epochs"
_HEADER_COLS = "batch_seq, epoch_id, first_seq, last_seq, event_count, sha256, signature, oldest_at, sealed_at, acked_at"
_msgpack = msgspec.msgpack.Encoder()
_any_json = msgspec.json.Decoder()


def _int_meta(conn: sqlite3.Connection, key: str) -> int:
    return int(meta.get_meta(conn, key) or "0")


def _header(store_id: str, row: tuple) -> BatchHeader:
    return BatchHeader(store_id=store_id, batch_seq=row[0], epoch_id=row[1], first_seq=row[2], last_seq=row[3],
                       count=row[4], sha256=row[5], signature=row[6], oldest_at=row[7], sealed_at=row[8],
                       acked=row[9] is not None)


def gzip_fixed(body: bytes) -> bytes:
    """gzip with no timestamp: the same body always compresses to the same bytes."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def encode_lines(rows: list[tuple]) -> bytes:
    """JSON lines of (seq, event_id, type, occurred_at, payload JSON); payloads are embedded as stored."""
    enc = msgspec.json.Encoder()
    out = bytearray()
    for seq, event_id, type_, occurred_at, payload in rows:
        out += enc.encode(BatchEvent(seq=seq, event_id=event_id, type=type_, occurred_at=occurred_at,
                                     payload=msgspec.Raw(bytes(payload))))
        out += b"\n"
    return bytes(out)


# A batch body built by SQLite in one step: the same bytes as `encode_lines`, since event ids, types
# and times are our own formats that JSON needs no escapes for (`unsafe` counts any that would).
# Fetching 1,000 rows one by one hands the GIL back and forth 1,000 times, and with the event loop
# busy each handover waits: a seal held the writer, and the lanes behind it, for 200-500 ms.
_BODY_SQL = """
SELECT count(*), min(seq), max(seq), min(occurred_at),
       sum(instr(event_id || type || occurred_at, '"') + instr(event_id || type || occurred_at, '\\')) AS unsafe,
       group_concat('{"seq":' || seq || ',"event_id":"' || event_id || '","type":"' || type || '","occurred_at":"'
                    || occurred_at || '","payload":' || CAST(payload AS TEXT) || '}', char(10))
FROM (SELECT seq, event_id, type, occurred_at, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?)
"""


def _next_body(conn: sqlite3.Connection, after: int, limit: int) -> tuple[int, int, int, str, bytes] | None:
    """(count, first seq, last seq, oldest time, body) of the next batch's events; None when none wait."""
    count, first, last, oldest, unsafe, text = conn.execute(_BODY_SQL, (after, limit)).fetchone()
    if not count:
        return None
    body = (text + "\n").encode()
    # group_concat keeps the subquery's order in practice but SQLite does not promise it before 3.44:
    # check the lines are in seq order (cheap, no GIL handover) and build in Python otherwise
    try:
        seqs = [int(line[7:line.index(b",", 7)]) for line in body.split(b"\n")[:-1]]
        in_order = len(seqs) == count and all(a < b for a, b in zip(seqs, seqs[1:], strict=False))
    except ValueError:  # a line that is not ours: build it in Python
        in_order = False
    if unsafe or not in_order:
        rows = conn.execute("SELECT seq, event_id, type, occurred_at, payload FROM outbox WHERE seq > ? "
                            "ORDER BY seq LIMIT ?", (after, limit)).fetchall()
        body = encode_lines(rows)
    return count, first, last, oldest, body


def seal_pending(conn: sqlite3.Connection, store_id: str, sync_key: bytes, now: datetime,
                 max_events: int | None = None, max_batches: int | None = None) -> list[int]:
    """Seal unsealed outbox events into batches of at most `max_events` (at most `max_batches` of them
    per call, so one writer transaction stays short); return the new batch seqs."""
    limit = max_events or sync_settings.load(conn).batch_max_events
    epoch = meta.get_meta(conn, "epoch_id")
    assert epoch is not None, "a store always has an epoch"
    last_event = _int_meta(conn, LAST_SEALED_EVENT)
    batch_seq = _int_meta(conn, LAST_BATCH)
    sealed: list[int] = []
    while max_batches is None or len(sealed) < max_batches:
        found = _next_body(conn, last_event, limit)
        if found is None:
            break
        count, first, last, oldest, body = found
        digest = hashlib.sha256(body).hexdigest()
        batch_seq += 1
        signature = batch_signature(sync_key, store_id, epoch, batch_seq, first, last, count, digest)
        conn.execute(f"INSERT INTO sync_batches ({_HEADER_COLS}, body_gz) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                     (batch_seq, epoch, first, last, count, digest, signature, oldest, iso(now), gzip_fixed(body)))
        if not sealed:  # keys made since the last seal go with the first batch that can hold their events
            data_keys.mark_sent(conn, batch_seq)
        sealed.append(batch_seq)
        last_event = last
    if sealed:
        meta.set_meta(conn, LAST_BATCH, str(batch_seq))
        meta.set_meta(conn, LAST_SEALED_EVENT, str(last_event))
    return sealed


def start_new_epoch(conn: sqlite3.Connection, now: datetime) -> str:
    """Begin a new epoch after HQ showed it holds more than this database does (a restore from backup).

    HQ already holds every batch this database has (it acknowledged past our last one), so they are
    all marked acknowledged, and the new epoch's batches start after the last local seq.
    """
    epoch = uuid7()
    history = msgspec.json.decode(meta.get_meta(conn, EPOCH_HISTORY) or "[]", type=list[str])
    meta.set_meta(conn, EPOCH_HISTORY, msgspec.json.encode([*history, meta.get_meta(conn, "epoch_id")]).decode())
    meta.set_meta(conn, "epoch_id", epoch)
    meta.set_meta(conn, EPOCH_FIRST_BATCH, str(_int_meta(conn, LAST_BATCH) + 1))
    meta.set_meta(conn, "sync.epoch_started_at", iso(now))
    conn.execute("UPDATE sync_batches SET acked_at = ? WHERE acked_at IS NULL", (iso(now),))
    return epoch


def seal_for_pull(conn: sqlite3.Connection, store_id: str, sync_key: bytes, now: datetime,
                  hq_epoch: str | None, after: int, max_batches: int | None = None) -> list[int]:
    """What a pull does first: notice a restore, then seal what is pending.

    Restored from an older backup, this database is behind HQ: HQ's cursor is past our last batch
    in our own epoch, or names an epoch this database never had (it began after the backup).
    """
    if hq_epoch is not None:
        current = meta.get_meta(conn, "epoch_id")
        known = msgspec.json.decode(meta.get_meta(conn, EPOCH_HISTORY) or "[]", type=list[str])
        if (hq_epoch == current and after > _int_meta(conn, LAST_BATCH)) or (
                hq_epoch != current and hq_epoch not in known):
            start_new_epoch(conn, now)
    return seal_pending(conn, store_id, sync_key, now, max_batches=max_batches)


def list_batches(conn: sqlite3.Connection, store_id: str, hq_epoch: str | None, after: int,
                 limit: int) -> BatchList:
    """Headers of the batches HQ should pull next. A cursor from another epoch resumes at this epoch's start."""
    epoch = meta.get_meta(conn, "epoch_id") or ""
    epoch_first = _int_meta(conn, EPOCH_FIRST_BATCH) or 1
    if hq_epoch is not None and hq_epoch != epoch:
        after = epoch_first - 1
    rows = conn.execute(f"SELECT {_HEADER_COLS} FROM sync_batches WHERE batch_seq > ? ORDER BY batch_seq LIMIT ?",
                        (after, limit)).fetchall()
    headers = [_header(store_id, r) for r in rows]
    keys = [DataKey(kid=kid, key=key.hex(), batch_seq=seq)
            for kid, key, seq in data_keys.keys_of_batches(conn, headers[0].batch_seq, headers[-1].batch_seq)] \
        if headers else []
    return BatchList(store_id=store_id, epoch_id=epoch, epoch_first_batch_seq=epoch_first,
                     last_batch_seq=_int_meta(conn, LAST_BATCH), acked_through=acked_through(conn),
                     batches=headers, config_version=_config_version(conn), keys=keys)


def _config_version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(version), 0) FROM sync_config").fetchone()[0]


def acked_through(conn: sqlite3.Connection) -> int:
    """The highest batch seq below which every batch is acknowledged."""
    row = conn.execute("SELECT min(batch_seq) FROM sync_batches WHERE acked_at IS NULL").fetchone()
    return (row[0] - 1) if row[0] is not None else _int_meta(conn, LAST_BATCH)


def batch_body(conn: sqlite3.Connection, store_id: str, batch_seq: int) -> tuple[BatchHeader, bytes]:
    """The header and the stored gzip body of one batch; NotFound once it is pruned or never existed."""
    row = conn.execute(f"SELECT {_HEADER_COLS}, body_gz FROM sync_batches WHERE batch_seq = ?",
                       (batch_seq,)).fetchone()
    if row is None:
        raise NotFound(f"no batch {batch_seq} here", [FieldError("batch_seq", "no such batch (or pruned)")])
    return _header(store_id, row[:-1]), bytes(row[-1])


def as_msgpack(json_lines: bytes) -> bytes:
    """The same events as one MessagePack array: deterministic, since key order survives decoding."""
    return _msgpack.encode([_any_json.decode(line) for line in json_lines.splitlines() if line])


def ack(conn: sqlite3.Connection, hq_epoch: str | None, through: int, now: datetime) -> int:
    """Mark batches up to `through` acknowledged; return how many were newly acknowledged."""
    epoch = meta.get_meta(conn, "epoch_id")
    if hq_epoch is not None and hq_epoch != epoch:
        raise Conflict("this store is in another epoch: list batches again",
                       [FieldError("epoch_id", "not the store's current epoch")], epoch_id=epoch)
    if through > _int_meta(conn, LAST_BATCH):
        raise Conflict("acknowledging a batch this store never sealed",
                       [FieldError("through_batch_seq", "beyond the last sealed batch")], epoch_id=epoch)
    return conn.execute("UPDATE sync_batches SET acked_at = ? WHERE batch_seq <= ? AND acked_at IS NULL",
                        (iso(now), through)).rowcount


def prune(conn: sqlite3.Connection, now: datetime, retention: timedelta | None = None,
          max_batches: int | None = None) -> int:
    """Delete acknowledged batches older than the retention, and their outbox events; return events pruned.

    Only acknowledged batches go, and only once the retention has passed since the ack: an
    unacknowledged event stays however long HQ is away. At most `max_batches` (oldest first), so a
    writer transaction stays short when a week of backlog comes due at once.
    """
    keep = retention if retention is not None else timedelta(hours=sync_settings.load(conn).retention_hours)
    cutoff = iso(now - keep)
    rows = conn.execute("SELECT batch_seq, first_seq, last_seq FROM sync_batches "
                        "WHERE acked_at IS NOT NULL AND acked_at <= ? ORDER BY batch_seq LIMIT ?",
                        (cutoff, -1 if max_batches is None else max_batches)).fetchall()
    pruned = 0
    for batch_seq, first, last in rows:
        pruned += conn.execute("DELETE FROM outbox WHERE seq BETWEEN ? AND ?", (first, last)).rowcount
        conn.execute("DELETE FROM sync_batches WHERE batch_seq = ?", (batch_seq,))
    return pruned


def status(conn: sqlite3.Connection, store_id: str) -> SyncStatus:
    last_sealed_event = _int_meta(conn, LAST_SEALED_EVENT)
    unacked = conn.execute("SELECT count(*), min(oldest_at) FROM sync_batches WHERE acked_at IS NULL").fetchone()
    # events are appended in time order: the oldest unsealed is the first after the last sealed
    unsealed = (count_after(conn, last_sealed_event), occurred_at_after(conn, last_sealed_event))
    oldest = min((t for t in (unacked[1], unsealed[1]) if t), default=None)
    version = _config_version(conn)
    return SyncStatus(store_id=store_id, epoch_id=meta.get_meta(conn, "epoch_id") or "",
                      last_batch_seq=_int_meta(conn, LAST_BATCH), acked_through=acked_through(conn),
                      unacked_batches=unacked[0], unsealed_events=unsealed[0],
                      outbox_depth=conn.execute("SELECT count(*) FROM outbox").fetchone()[0],
                      oldest_unacked_at=oldest, config_version=version,
                      retention_hours=sync_settings.load(conn).retention_hours)


def gzip_decompress(body_gz: bytes) -> bytes:
    return gzip.decompress(body_gz)


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
