"""Copying a warehouse into another (a pilot's SQLite file into the chain's PostgreSQL), with count checks.

Table by table, parents first, in chunks; each chunk goes in with the target's bulk path (COPY
on PostgreSQL) and ignores rows already there, so an interrupted copy can be run again. Then
every table's rows and every store's events are counted on both sides.
"""

from collections.abc import Callable

import msgspec

from .warehouse import TABLES, Warehouse

# Keys each warehouse keeps for itself (its views' version, its partition calendar).
OWN_META = {"views", "zone", "day_start"}


class Count(msgspec.Struct, frozen=True):
    what: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def already_there(target: Warehouse) -> dict[str, int]:
    counts = {t: n for t, n in target.table_counts().items() if n and t != "hq_meta"}
    return counts


def migrate(source: Warehouse, target: Warehouse, chunk: int = 20_000,
            progress: Callable[[str, int], None] = lambda table, rows: None) -> list[Count]:
    for table, columns in TABLES.items():
        for rows in source.read_rows(table, columns, chunk):
            if table == "hq_meta":
                rows = [r for r in rows if r[0] not in OWN_META]
            if table == "events":
                target.copy_events(rows)
            else:
                target.copy_rows(table, columns, rows)
            progress(table, len(rows))
    return check(source, target)


def check(source: Warehouse, target: Warehouse) -> list[Count]:
    """Rows per table, meta keys that travel, and events per store, on both sides."""
    src, dst = source.table_counts(), target.table_counts()
    out = [Count(t, src[t], dst[t]) for t in TABLES if t != "hq_meta"]
    meta_sql = "SELECT key, value FROM hq_meta"
    src_meta = {k: v for k, v in source.execute(meta_sql).fetchall() if k not in OWN_META}
    dst_meta = dict(target.execute(meta_sql).fetchall())
    out.append(Count("hq_meta (shared keys)", len(src_meta),
                     sum(1 for k, v in src_meta.items() if dst_meta.get(k) == v)))
    per_store = "SELECT store_id, count(*) FROM events GROUP BY store_id"
    src_events, dst_events = dict(source.execute(per_store).fetchall()), dict(target.execute(per_store).fetchall())
    same = sum(1 for s, n in src_events.items() if dst_events.get(s) == n)
    out.append(Count("stores whose event count matches", len(src_events), same))
    return out
