"""The warehouse interface, and everything about it that is the same on both engines.

The puller, `hq status`, reports, publishing and unified identity all go through a `Warehouse`.
The engines (`sqlite.py`, the embedded default; `postgres.py`, for a chain) differ only where
they must: how a batch's rows go in (executemany vs COPY into a staging table), how a transaction
locks (BEGIN IMMEDIATE vs row locks and SKIP LOCKED), partitions, and a few SQL spellings. The
order of an ingest's steps, leases, derived tables and identity rules live here once, so an
operation added for one engine (say, a chain-wide erase) is added for both.

SQL here is written with `?` placeholders and in the dialect both engines share (ON CONFLICT,
RETURNING, CASE); the PostgreSQL engine rewrites the placeholders.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from ... import sealed
from ...wire import BatchHeader
from .. import identity
from ..days import iso

# Only these event types feed derived tables; the rest are stored in the inbox and nothing more.
DERIVED = {"join_rate.daily", "member.joined", "payment_identity.linked", "member.erased"}

# Copied as they are by `migrate-warehouse`, in this order (parents first), with their columns.
TABLES: dict[str, tuple[str, ...]] = {
    "hq_meta": ("key", "value"),
    "stores": ("store_id", "epoch_id", "through_batch_seq", "acked_through", "last_batch_seq", "oldest_unpulled_at",
               "last_attempt_at", "last_ok_at", "last_error", "last_error_at", "config_version", "event_count"),
    "epochs": ("store_id", "epoch_id", "first_seen_at", "first_batch_seq"),
    "batches": ("store_id", "epoch_id", "batch_seq", "first_seq", "last_seq", "event_count", "new_events", "sha256",
                "ingested_at"),
    "events": ("store_id", "event_id", "type", "occurred_at", "seq", "payload"),
    "join_rate_daily": ("store_id", "business_day", "revision", "transactions", "nonmember_transactions", "joins",
                        "joins_by_source", "join_rate_bps"),
    "identities": ("member_id", "store_id", "phone_hash", "joined_at", "person_id", "erased_at", "dir_version",
                   "alias_version"),
    "payer_links": ("payer_hash", "member_id", "linked_at"),
    "merges": ("merge_id", "survivor_id", "merged_id", "reason", "moved", "merged_at", "reversed_at"),
    "merge_blocks": ("a", "b"),
    "erasures": ("member_id", "store_id", "phone_hash", "erased_at", "published_version", "merged_ids"),
    "data_keys": ("kid", "store_id", "key"),
}

# Events whose `personal` field a store sealed with a person's data key, and the fields older
# batches carried in clear: removed from the inbox when their member is erased.
SEALED_TYPES = ("member.joined", "payment_identity.linked", "sale.completed")
CLEAR_FIELDS = ("phone_hash", "phone_masked", "phone_e164", "birthday", "payer_hash")


class Event(msgspec.Struct, frozen=True):
    seq: int
    event_id: str
    type: str
    occurred_at: str
    payload: msgspec.Raw


_decode_lines = msgspec.json.Decoder(Event)
decode_any = msgspec.json.Decoder()


def decode_events(json_lines: bytes) -> list[Event]:
    return [_decode_lines.decode(line) for line in json_lines.splitlines() if line]


class LeaseLost(Exception):
    """Another puller holds this store now (ours expired and was taken): this puller stops pulling it."""


class Warehouse:
    """One connection to a warehouse. Not shared between threads: the puller gives it one thread."""

    engine = ""
    target = ""
    for_update = ""  # row locks where the engine has them; SQLite's BEGIN IMMEDIATE locks the file

    # --- engine primitives ------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """Statements whose results nobody reads, sent together where the engine can (PostgreSQL)."""
        yield

    def close(self) -> None:
        raise NotImplementedError

    def now(self) -> datetime:
        """The clock leases are measured by (the database server's, where there is one)."""
        raise NotImplementedError

    def stamp(self, moment: datetime) -> Any:
        """A lease time as the engine stores it."""
        return moment

    def any_of(self, column: str, values: Sequence[str]) -> tuple[str, Any]:
        """SQL for `column` being one of `values`, and the one parameter it takes."""
        raise NotImplementedError

    # --- engine hooks for the ingest and identity ---------------------------------------------------

    def _insert_events(self, store_id: str, events: list[Event]) -> int:
        """Insert what is new of a batch's events into the inbox (inside the transaction); return how many."""
        raise NotImplementedError

    def _before_batch(self, events: list[Event]) -> None:
        """Anything a batch needs before its transaction (PostgreSQL: the partitions of its days)."""

    def insert_identities(self, store_id: str, joins: list[tuple[str, str | None, str]]
                          ) -> tuple[set[str], dict[str, list[str]]]:
        """Insert (member id, phone hash, joined at), each its own person, unless known; return the member ids
        inserted, and the live members known before with the phone hash of one inserted, by phone hash."""
        raise NotImplementedError

    def json_text(self, field: str) -> str:
        """SQL for a top-level text field of an inbox event's payload."""
        raise NotImplementedError

    def scrub_erased_events(self, member_ids: list[str]) -> None:
        """In the inbox, remove the fields older events carried in clear from these members' events, and
        the member id from their sales (the amounts stay for the books); joins stay counted."""
        raise NotImplementedError

    def settle(self) -> None:
        """After an erasure commits: leave the removed rows' old versions in as few places as the engine
        allows (SQLite: WAL checkpointed and truncated; PostgreSQL: the identity tables vacuumed)."""

    def _load_puller_stores(self, store_ids: list[str]) -> None:
        """Fill this connection's temp table `puller_stores` with the stores this puller can reach."""
        raise NotImplementedError

    def _claim(self, holder: str, limit: int, now: datetime, since: datetime, ttl: timedelta,
               skip: list[str]) -> list[tuple[str, str | None]]:
        """Lease up to `limit` of this puller's stores that are free (or whose lease expired) and not
        pulled since `since`; return (store id, the holder whose lease expired or None)."""
        raise NotImplementedError

    def prepare(self, today: datetime) -> None:
        """Make what the next days need ahead of time (PostgreSQL: partitions)."""

    def retention(self, keep_days: int, today: datetime, archive_dir: Path | None) -> list[tuple[str, int, str]]:
        """Archive and remove events older than `keep_days` business days; return (part, rows, where)."""
        raise NotImplementedError

    def copy_rows(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Bulk-insert rows as they are (migration), ignoring rows already there."""
        raise NotImplementedError

    def copy_events(self, rows: list[tuple]) -> None:
        self.copy_rows("events", TABLES["events"], rows)

    # --- cursor and ingest ------------------------------------------------------------------------

    def cursor(self, store_id: str) -> tuple[str | None, int]:
        row = self.execute("SELECT epoch_id, through_batch_seq FROM stores WHERE store_id = ?", (store_id,)).fetchone()
        return (row[0], row[1]) if row else (None, 0)

    def note_epoch(self, store_id: str, epoch_id: str, first_batch_seq: int, now: datetime) -> bool:
        """Record the store's current epoch, moving the cursor to it when it is new; True when it replaced
        an earlier epoch (the store was restored from a backup)."""
        with self.transaction():
            had = self.execute(f"SELECT epoch_id FROM stores WHERE store_id = ? {self.for_update}",
                               (store_id,)).fetchone()
            seen = self.execute("SELECT 1 FROM epochs WHERE store_id = ? AND epoch_id = ?",
                                (store_id, epoch_id)).fetchone()
            if not seen:
                self.execute("INSERT INTO epochs (store_id, epoch_id, first_seen_at, first_batch_seq) "
                             "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                             (store_id, epoch_id, iso(now), first_batch_seq))
                self.execute("INSERT INTO stores (store_id, epoch_id, through_batch_seq) VALUES (?, ?, ?) "
                             "ON CONFLICT (store_id) DO UPDATE SET epoch_id = excluded.epoch_id, "
                             "through_batch_seq = excluded.through_batch_seq",
                             (store_id, epoch_id, first_batch_seq - 1))
        return not seen and had is not None and had[0] is not None

    def ingest_batch(self, store_id: str, cursor_epoch: str, header: BatchHeader, events: list[Event],
                     now: datetime, holder: str | None = None, keys: Sequence[tuple[str, bytes]] = ()) -> int:
        """Store a verified batch's events, the data keys sent with it, the batch and the cursor in one
        transaction; return new events.

        With `holder`, the store's lease is checked inside the transaction (the row is locked), so a
        puller whose lease was taken over writes nothing more of that store. `keys` are (key id, key)
        of the data keys the store listed with this batch: derived tables open sealed fields with them.
        """
        self._before_batch(events)
        with self.transaction():
            row = self.execute("SELECT epoch_id, through_batch_seq, lease_holder FROM stores WHERE store_id = ? "
                               f"{self.for_update}", (store_id,)).fetchone()
            if holder is not None and (row is None or row[2] != holder):
                raise LeaseLost(f"store {store_id}: the lease is held by {row[2] if row else 'nobody'} now")
            if row is not None and row[0] == cursor_epoch and row[1] >= header.batch_seq:
                return 0  # another puller got here first: nothing to do
            # a puller still on an epoch another puller already left stores the events (the inbox
            # dedupes them) but never moves the cursor back
            moves_cursor = row is None or row[0] is None or row[0] == cursor_epoch
            new = self._insert_events(store_id, events) if events else 0
            if keys:
                self.executemany("INSERT INTO data_keys (kid, store_id, key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                 [(kid, store_id, key) for kid, key in keys])
            derived = [e for e in events if e.type in DERIVED]
            day_counts = derive(self, store_id, derived, dict(keys)) if new else []
            if keys:
                self._forget_keys_of_erased(events, {kid for kid, _ in keys})
            with self.pipelined():  # the rest needs no answers: one round trip where the engine has them
                self.execute("INSERT INTO batches (store_id, epoch_id, batch_seq, first_seq, last_seq, event_count, "
                             "new_events, sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT DO NOTHING",
                             (store_id, header.epoch_id, header.batch_seq, header.first_seq, header.last_seq,
                              header.count, new, header.sha256, iso(now)))
                if day_counts:
                    self.executemany(JOIN_RATE_UPSERT, day_counts)
                if moves_cursor:
                    self.execute("INSERT INTO epochs (store_id, epoch_id, first_seen_at, first_batch_seq) "
                                 "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                 (store_id, cursor_epoch, iso(now), header.batch_seq))
                    self.execute("INSERT INTO stores (store_id, epoch_id, through_batch_seq, event_count) "
                                 "VALUES (?, ?, ?, ?) ON CONFLICT (store_id) DO UPDATE SET "
                                 "epoch_id = excluded.epoch_id, through_batch_seq = excluded.through_batch_seq, "
                                 "event_count = stores.event_count + excluded.event_count",
                                 (store_id, cursor_epoch, header.batch_seq, new))
                elif new:
                    self.execute("UPDATE stores SET event_count = event_count + ? WHERE store_id = ?",
                                 (new, store_id))
        if new and any(e.type == "member.erased" for e in derived):
            self.settle()
        return new

    def data_key(self, kid: str) -> bytes | None:
        row = self.execute("SELECT key FROM data_keys WHERE kid = ?", (kid,)).fetchone()
        return bytes(row[0]) if row else None

    def personal_key_ids(self, member_ids: list[str]) -> set[str]:
        """The data keys the inbox events of these members were sealed with (theirs, and their payers')."""
        where, param = self.any_of(self.json_text("member_id"), member_ids)
        types, tparam = self.any_of("type", SEALED_TYPES)
        rows = self.execute(f"SELECT {self.json_text('personal')} FROM events WHERE {types} AND {where}",
                            (tparam, param)).fetchall()
        return {kid for (text,) in rows if (kid := sealed.key_id(text))}

    def _forget_keys_of_erased(self, events: list[Event], kids: set[str]) -> None:
        """A key that arrives for a member HQ already erased (a store that had not heard yet, or one
        restored from an older copy, sent it again) is destroyed at once: it never opens their data."""
        owners: dict[str, set[str]] = {}
        for e in events:
            if e.type in SEALED_TYPES and b'"personal"' in bytes(e.payload):
                p = decode_any.decode(e.payload)
                kid = sealed.key_id(p.get("personal"))
                if kid in kids and p.get("member_id"):
                    owners.setdefault(p["member_id"], set()).add(kid)
        if not owners:
            return
        where, param = self.any_of("member_id", sorted(owners))
        gone = [r[0] for r in self.execute(f"SELECT member_id FROM identities WHERE {where} AND erased_at IS NOT NULL",
                                           (param,)).fetchall()]
        doomed = sorted({k for m in gone for k in owners[m]})
        if doomed:
            where, param = self.any_of("kid", doomed)
            self.execute(f"DELETE FROM data_keys WHERE {where}", (param,))

    def record_pull(self, store_id: str, now: datetime, *, error: str | None = None,
                    last_batch_seq: int | None = None, acked_through: int | None = None,
                    oldest_unpulled_at: str | None = None, config_version: int | None = None,
                    holder: str | None = None) -> None:
        """The outcome of one pull of one store, for `hq status`; the puller's lease on it ends here."""
        with self.transaction():
            self.execute("INSERT INTO stores (store_id) VALUES (?) ON CONFLICT (store_id) DO NOTHING", (store_id,))
            if config_version is not None:  # a store that fetched its bundle itself tells HQ here
                self.execute("UPDATE stores SET config_version = ? WHERE store_id = ?", (config_version, store_id))
            if error is None:
                self.execute("UPDATE stores SET last_attempt_at = ?, last_ok_at = ?, last_error = NULL, "
                             "last_batch_seq = coalesce(?, last_batch_seq), "
                             "acked_through = coalesce(?, acked_through), oldest_unpulled_at = ? WHERE store_id = ?",
                             (iso(now), iso(now), last_batch_seq, acked_through, oldest_unpulled_at, store_id))
            else:
                self.execute("UPDATE stores SET last_attempt_at = ?, last_error = ?, last_error_at = ?, "
                             "last_batch_seq = coalesce(?, last_batch_seq), "
                             "oldest_unpulled_at = coalesce(?, oldest_unpulled_at) WHERE store_id = ?",
                             (iso(now), error[:500], iso(now), last_batch_seq, oldest_unpulled_at, store_id))
            if holder is not None:  # released only by its holder: a puller that lost it leaves it alone
                self.execute("UPDATE stores SET lease_holder = NULL, lease_expires_at = NULL, last_pulled_by = ?, "
                             "last_pulled_at = ? WHERE store_id = ? AND lease_holder = ?",
                             (holder, self.stamp(self.now()), store_id, holder))

    # --- leases: pullers share the stores through the warehouse ------------------------------------

    def register_stores(self, store_ids: list[str]) -> None:
        """Make sure every store this puller can reach has a row (so any puller can lease it)."""
        with self.transaction():
            self._load_puller_stores(store_ids)
            # "WHERE true": SQLite cannot tell an upsert's ON from a join's after a bare SELECT ... FROM
            self.execute("INSERT INTO stores (store_id) SELECT store_id FROM puller_stores WHERE true "
                         "ON CONFLICT (store_id) DO NOTHING")

    def claim(self, holder: str, limit: int, since: datetime, ttl: timedelta,
              skip: Sequence[str] = ()) -> list[tuple[str, str | None]]:
        """Lease up to `limit` free stores of this puller's that nobody pulled since `since`."""
        now = self.now()
        with self.transaction():
            return self._claim(holder, limit, now, since, ttl, list(skip))

    def renew(self, holder: str, store_ids: list[str], ttl: timedelta) -> set[str]:
        """Push our leases on these stores forward; return those still ours."""
        if not store_ids:
            return set()
        where, param = self.any_of("store_id", store_ids)
        with self.transaction():
            rows = self.execute(f"UPDATE stores SET lease_expires_at = ? WHERE lease_holder = ? AND {where} "
                                "RETURNING store_id", (self.stamp(self.now() + ttl), holder, param)).fetchall()
        return {r[0] for r in rows}

    def lease_holders(self) -> list[str]:
        return [r[0] for r in self.execute("SELECT DISTINCT lease_holder FROM stores WHERE lease_holder IS NOT NULL")]

    def expire_leases(self, holder: str) -> None:
        """End a holder's leases now (its process is known to be gone), so other pullers take its stores."""
        with self.transaction():
            self.execute("UPDATE stores SET lease_expires_at = ? WHERE lease_holder = ?",
                         (self.stamp(self.now() - timedelta(seconds=1)), holder))

    def waiting(self, since: datetime) -> tuple[int, Any]:
        """This puller's stores nobody has pulled since `since` (held by others, or failed to claim), and
        the earliest time one of their leases ends."""
        row = self.execute("SELECT count(*), min(lease_expires_at) FROM stores WHERE store_id IN "
                           "(SELECT store_id FROM puller_stores) AND (last_pulled_at IS NULL OR last_pulled_at < ?)",
                           (self.stamp(since),)).fetchone()
        return row[0], row[1]

    # --- reading ----------------------------------------------------------------------------------

    def event_counts(self, store_id: str) -> dict[str, int]:
        return {r[0]: r[1] for r in self.execute("SELECT type, count(*) FROM events WHERE store_id = ? GROUP BY type",
                                                 (store_id,))}

    def event_ids(self, store_id: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT store_id, event_id FROM events"
        return [tuple(r) for r in (self.execute(sql + " WHERE store_id = ?", (store_id,)) if store_id
                                   else self.execute(sql))]

    def table_counts(self) -> dict[str, int]:
        return {t: self.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608

    def read_rows(self, table: str, columns: Sequence[str], chunk: int = 20_000) -> Iterator[list[tuple]]:
        """Every row of a table, in chunks, for migration."""
        cur = self.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608
        while rows := cur.fetchmany(chunk):
            yield [tuple(r) for r in rows]


JOIN_RATE_UPSERT = (
    "INSERT INTO join_rate_daily (store_id, business_day, revision, transactions, nonmember_transactions, "
    "joins, joins_by_source, join_rate_bps) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (store_id, business_day) DO UPDATE SET revision = excluded.revision, "
    "transactions = excluded.transactions, nonmember_transactions = excluded.nonmember_transactions, "
    "joins = excluded.joins, joins_by_source = excluded.joins_by_source, "
    "join_rate_bps = excluded.join_rate_bps WHERE excluded.revision > join_rate_daily.revision")


def _opener(wh: Warehouse, keys: dict[str, bytes]):  # noqa: ANN202 - Callable[[object], dict]
    """Opens a sealed `personal` field with the batch's keys, else those HQ kept; {} once erased."""
    def open_personal(text: object) -> dict[str, Any]:
        return sealed.open_sealed(text, lambda kid: keys.get(kid) or wh.data_key(kid)) or {}

    return open_personal


def derive(wh: Warehouse, store_id: str, events: list[Event], keys: dict[str, bytes] | None = None) -> list[tuple]:
    """Apply identity events to the identity tables, in order; return the join-rate rows to upsert.

    Derived tables are idempotent: a batch seen twice leaves them as once. A run of joins (until a
    payer link or an erasure, which must see the joins before them) goes to the identity tables in
    one step, with the same merges as one by one. Join-rate days touch nothing else, so they are
    written after, in their order (the highest revision wins either way).
    """
    run: list[tuple[str, str | None, str]] = []
    day_counts: list[tuple] = []
    personal = _opener(wh, keys or {})
    for event in events:
        p = decode_any.decode(event.payload)
        if event.type == "member.joined":  # sealed since erasure came; older batches carry it in clear
            run.append((p["member_id"], personal(p.get("personal")).get("phone_hash") or p.get("phone_hash"),
                        p["joined_at"]))
        elif event.type == "join_rate.daily":
            day_counts.append((store_id, p["business_day"], p["revision"], p["transactions"],
                               p["nonmember_transactions"], p["joins"],
                               msgspec.json.encode(p.get("joins_by_source", {})).decode(), p["join_rate_bps"]))
        else:
            if run:
                identity.members_joined(wh, store_id, run)
                run = []
            if event.type == "payment_identity.linked":
                payer = personal(p.get("personal")).get("payer_hash") or p.get("payer_hash")
                if payer:  # None: the member was erased before HQ pulled the link
                    identity.payer_linked(wh, p["member_id"], payer, event.occurred_at)
            elif event.type == "member.erased":  # a tombstone names ids, never a phone
                identity.member_erased(wh, store_id, p["member_id"], p.get("erased_at", event.occurred_at),
                                       p.get("member_ids") or None, p.get("keys_destroyed") or None)
    if run:
        identity.members_joined(wh, store_id, run)
    return day_counts
