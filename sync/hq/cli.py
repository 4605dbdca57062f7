"""`store-edge hq ...`: provision, pull, status, report join-rate, publish, unmerge, member erase,
migrate-warehouse, retention.

Every command but `provision` works on either warehouse: `--warehouse` (or $STORE_EDGE_HQ_DSN)
is an SQLite file path or a postgresql:// URL.
"""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec

from . import identity, publish, reports, warehouse
from .days import iso
from .puller import PullOptions, pull
from .stores import add_entry, in_shard, load_stores, parse_shard

DEFAULT_WAREHOUSE = warehouse.DEFAULT_FILE
DEFAULT_STORES = "./hq/stores.json"


def _now() -> datetime:
    return datetime.now(UTC)


def _open(args: argparse.Namespace, target: str | None = None) -> warehouse.Warehouse:
    target = target or warehouse.resolve_target(args.warehouse)
    try:
        return warehouse.open_warehouse(target)
    except (warehouse.BadTarget, ConnectionError) as exc:
        sys.exit(f"store-edge hq: --warehouse: {exc}")


def _stores(args: argparse.Namespace):  # noqa: ANN202
    try:
        entries = load_stores(args.stores)
    except FileNotFoundError:
        sys.exit(f"store-edge hq: no stores file at {args.stores}")
    except msgspec.DecodeError as exc:
        sys.exit(f"store-edge hq: {args.stores}: {exc}")
    if getattr(args, "only", None):
        entries = [e for e in entries if e.store_id in set(args.only)]
    return [e for e in entries if in_shard(e.store_id, getattr(args, "shard", None))]


def cmd_provision(args: argparse.Namespace) -> None:
    # writes store files on this machine: a pilot's tool, kept apart from the HTTP-only HQ
    from .pilot.provision import chain_key, provision_store, store_config

    Path(args.stores).parent.mkdir(parents=True, exist_ok=True)
    config = store_config(args.store_id, args.name, args.timezone, args.public_url or args.url)
    try:
        entry, keys = provision_store(args.data_dir, config, chain_key(args.chain_key), args.url, demo=args.demo)
    except FileExistsError as exc:
        sys.exit(f"store-edge hq: {exc}")
    add_entry(args.stores, entry)
    print(f"store {entry.store_id} provisioned at {args.data_dir}, added to {args.stores}", file=sys.stderr)
    print(msgspec.json.encode(keys).decode())  # the store's keys, once: give them to its lanes and manager


def cmd_pull(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    entries = _stores(args)
    conn = _open(args)
    opts = PullOptions(concurrency=args.concurrency, page=args.page, attempts=args.attempts, timeout=args.timeout,
                       ack_timeout=args.ack_timeout, lease_seconds=args.lease_seconds)
    if args.puller_id:
        opts.holder = args.puller_id
    started = _now()
    with Progress(TextColumn("pulling"), BarColumn(), MofNCompleteColumn(), TextColumn("stores ·"),
                  TextColumn("{task.fields[events]} events"), TimeElapsedColumn(),
                  disable=not sys.stderr.isatty() or args.quiet, transient=False) as progress:
        task = progress.add_task("pull", total=len(entries), events=0)
        seen: dict[str, int] = {}

        def on_batch(store_id: str, events: int) -> None:
            seen["events"] = seen.get("events", 0) + events
            progress.update(task, events=seen["events"])

        report = pull(conn, entries, opts, on_batch=on_batch, on_store=lambda _: progress.advance(task))
    took = (_now() - started).total_seconds()
    print(f"pulled {len(entries)} stores in {took:.1f}s: {sum(r.batches for r in report.results)} batches, "
          f"{sum(r.events for r in report.results)} events ({report.new_events} new), "
          f"{len(report.failed)} failed")
    for r in report.results:
        if r.new_epoch:
            print(f"  {r.store_id}: new epoch (restored from a backup?): resumed there, nothing lost")
        if r.taken_over_from:
            print(f"  {r.store_id}: taken over from {r.taken_over_from} (its lease had expired)")
        if r.handed_over:
            print(f"  {r.store_id}: our lease expired and another puller took it over")
    for r in report.failed:
        print(f"  {r.store_id}: {r.error}", file=sys.stderr)
    conn.close()
    if report.failed and args.strict:
        sys.exit(1)


def cmd_status(args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    conn = _open(args)
    ids = [e.store_id for e in _stores(args)] if Path(args.stores).exists() else None
    rows = reports.lag(conn, _now(), ids)
    if args.json:
        print(msgspec.json.encode(rows).decode())
        conn.close()
        return
    table = Table(title=f"HQ pull status ({conn.engine} warehouse)")
    for col in ("store", "epoch", "at HQ", "store's last", "behind", "oldest waiting", "events", "config",
                "held by", "last ok", "last error"):
        table.add_column(col)
    for r in rows:
        age = "-" if r.oldest_unpulled_age_s is None else _age(r.oldest_unpulled_age_s)
        table.add_row(r.store_id, (r.epoch_id or "-")[-8:], str(r.through_batch_seq), str(r.last_batch_seq),
                      str(r.batches_behind), age, str(r.events), str(r.config_version),
                      r.lease_holder or "-", r.last_ok_at or "-", (r.last_error or "")[:60])
    Console(width=220).print(table)
    conn.close()


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cmd_report(args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    conn = _open(args)
    lines = reports.join_rate(conn, args.from_, args.to)
    if args.json:
        print(msgspec.json.encode(lines).decode())
    else:
        table = Table(title="Non-member join rate (非会员入会率) by store and business day")
        for col in ("day", "store", "transactions", "non-member", "joins", "join rate"):
            table.add_column(col, justify="right" if col not in ("day", "store") else "left")
        for x in lines:
            table.add_row(x.business_day, x.store_id, str(x.transactions), str(x.nonmember_transactions),
                          str(x.joins), reports.pct(x.join_rate_bps), style="bold" if x.store_id == "chain" else None)
        Console(width=120).print(table)
    if args.png:
        reports.join_rate_png(lines, args.png)
        print(f"chart written to {args.png}", file=sys.stderr)
    conn.close()


def cmd_publish(args: argparse.Namespace) -> None:
    entries = _stores(args)
    config = publish.load_config(args.config)
    conn = _open(args)
    now = _now()
    with conn.transaction():
        version = publish.next_version(conn)
    all_ids = [e.store_id for e in load_stores(args.stores)]
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    with httpx.Client(timeout=args.timeout) as client:
        for entry in entries:
            base = publish.store_base_version(conn, entry.store_id)
            envelope = publish.bundle_for(conn, entry, config, all_ids, version, base, now)
            if out_dir:
                (out_dir / f"{entry.store_id}.bundle.json").write_bytes(msgspec.json.encode(envelope))
            if not args.push:
                continue
            try:
                resp = _push(client, entry, envelope)
                if resp.status_code == 409 and "applied_version" in resp.json():
                    # the store has another version than HQ thought: rebuild the deltas on what it has
                    base = resp.json()["applied_version"]
                    envelope = publish.bundle_for(conn, entry, config, all_ids, version, base, now)
                    resp = _push(client, entry, envelope)
                if resp.status_code != 200:
                    raise RuntimeError(f"HTTP {resp.status_code}: {resp.text[:200]}")
                with conn.transaction():
                    publish.record_applied(conn, entry.store_id, version)
                print(f"{entry.store_id}: bundle v{version} applied")
            except (httpx.HTTPError, RuntimeError) as exc:
                failed += 1
                print(f"{entry.store_id}: bundle v{version} not applied: {exc}", file=sys.stderr)
    print(f"bundle version {version} built for {len(entries)} stores" + (f", {failed} failed" if failed else ""))
    conn.close()


def _push(client: httpx.Client, entry, envelope) -> httpx.Response:  # noqa: ANN001
    return client.post(f"{entry.url.rstrip('/')}/sync/v1/config", content=msgspec.json.encode(envelope),
                       headers={"Authorization": f"Bearer {entry.key}", "Content-Type": "application/json"})


def cmd_unmerge(args: argparse.Namespace) -> None:
    conn = _open(args)
    try:
        with conn.transaction():
            moved = identity.unmerge(conn, args.merge_id, iso(_now()))
    except LookupError as exc:
        sys.exit(f"store-edge hq: {exc}")
    finally:
        conn.close()
    print(f"merge {args.merge_id} reversed: {', '.join(moved)} separate again (sent down with the next bundle)")


def cmd_member_erase(args: argparse.Namespace) -> None:
    """Erase a member chain-wide from HQ: at HQ now, at every store with the next bundle (by id)."""
    wh = _open(args)
    try:
        with wh.transaction():
            known = wh.execute(f"SELECT erased_at FROM identities WHERE member_id = ? {wh.for_update}",
                               (args.member_id,)).fetchone()
            if known is None or known[0] is not None:
                sys.exit(f"store-edge hq: member {args.member_id} is "
                         + ("not known at HQ (pull its store first)" if known is None else "already erased"))
            targets = identity.member_erased(wh, "hq", args.member_id, iso(_now()))
        wh.settle()
    finally:
        wh.close()
    print(f"member {args.member_id} erased at HQ ({', '.join(targets)}); reason: {args.reason}; every store "
          "erases the same ids with the next bundle (store-edge hq publish --push)")


def cmd_migrate(args: argparse.Namespace) -> None:
    from .migrate import already_there, migrate

    source = _open(args, args.from_)
    target = _open(args, args.to)
    try:
        existing = already_there(target)
        if existing and not args.resume:
            sys.exit(f"store-edge hq: --to: the target warehouse already has rows ({existing}): migrate into an "
                     "empty one, or pass --resume to finish an interrupted copy")
        print(f"copying {source.engine} {source.target} into {target.engine} {target.target}", file=sys.stderr)
        counts = migrate(source, target)
    finally:
        source.close()
        target.close()
    width = max(len(c.what) for c in counts)
    for c in counts:
        print(f"{c.what:<{width}}  {c.source:>10,}  {c.target:>10,}  {'ok' if c.ok else 'MISMATCH'}")
    bad = [c for c in counts if not c.ok]
    if bad:
        sys.exit(f"store-edge hq: counts differ for {', '.join(c.what for c in bad)}")
    print("every count matches")


def cmd_retention(args: argparse.Namespace) -> None:
    conn = _open(args)
    if args.archive_dir:
        Path(args.archive_dir).mkdir(parents=True, exist_ok=True)
    try:
        conn.prepare(_now())
        done = conn.retention(args.keep_days, _now(), Path(args.archive_dir) if args.archive_dir else None)
    finally:
        conn.close()
    for day, rows, where in done:
        print(f"{day}: {rows} events archived to {where}")
    print(f"{len(done)} days archived; events of the last {args.keep_days} days kept")


def add_hq_commands(sub: argparse._SubParsersAction) -> None:
    """Register `store-edge hq ...` on the main parser."""
    p = sub.add_parser("hq", help="HQ side: pull stores into the warehouse, reports, config bundles")
    hq = p.add_subparsers(dest="hq_cmd", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--warehouse", help=f"an SQLite file or a postgresql:// URL (default: ${warehouse.ENV_DSN}, "
                                           f"else {DEFAULT_WAREHOUSE})")
        q.add_argument("--stores", default=DEFAULT_STORES, help="JSON list of {store_id, url, key, sync_key}")

    q = hq.add_parser("provision", help="create a store of the chain (same chain key) and add it to the stores file")
    common(q)
    q.add_argument("--data-dir", required=True)
    q.add_argument("--store-id", required=True)
    q.add_argument("--name", required=True)
    q.add_argument("--url", required=True, help="where HQ reaches the store")
    q.add_argument("--public-url")
    q.add_argument("--timezone", default="Asia/Shanghai")
    q.add_argument("--chain-key", default="./hq/chain.key", help="hex file, made on first use")
    q.add_argument("--demo", action="store_true", help="seed the demo catalog, tiers and keys")
    q.set_defaults(func=cmd_provision)

    q = hq.add_parser("pull", help="pull every store's batches into the warehouse, verify, acknowledge")
    common(q)
    q.add_argument("--only", nargs="*", help="only these store ids")
    q.add_argument("--shard", type=parse_shard, metavar="I/N",
                   help="only the stores of shard I of N (a fixed split; pullers share the stores through the "
                        "warehouse's leases without it)")
    q.add_argument("--concurrency", type=int, default=16)
    q.add_argument("--page", type=int, default=100)
    q.add_argument("--attempts", type=int, default=4)
    q.add_argument("--timeout", type=float, default=30.0)
    q.add_argument("--ack-timeout", type=float, default=10.0)
    q.add_argument("--lease-seconds", type=float, default=60.0,
                   help="how long a store stays this puller's without renewal (a dead puller's stores wait this long)")
    q.add_argument("--puller-id", help="this puller's name in the leases (default host:pid:random)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.add_argument("--strict", action="store_true", help="exit 1 when any store failed")
    q.set_defaults(func=cmd_pull)

    q = hq.add_parser("status", help="per-store lag: batches behind, oldest event waiting, last error")
    common(q)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_status)

    q = hq.add_parser("report", help="reports from the warehouse")
    rep = q.add_subparsers(dest="report", required=True)
    r = rep.add_parser("join-rate", help="join rate by store and business day, with the chain total")
    common(r)
    r.add_argument("--from", dest="from_")
    r.add_argument("--to")
    r.add_argument("--png", help="also write a bar chart here")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report)

    q = hq.add_parser("publish", help="build signed config bundles (and push them with --push)")
    common(q)
    q.add_argument("--config", help="HQ config JSON: tiers, catalog, campaigns (with chain caps)")
    q.add_argument("--only", nargs="*")
    q.add_argument("--out", help="write each store's bundle here")
    q.add_argument("--push", action="store_true", help="POST each bundle to its store")
    q.add_argument("--timeout", type=float, default=30.0)
    q.set_defaults(func=cmd_publish)

    q = hq.add_parser("member", help="one member, chain-wide")
    mem = q.add_subparsers(dest="member_cmd", required=True)
    r = mem.add_parser("erase", help="erase a member (and the ids merged into them) at HQ and, by the next "
                                     "bundle, at every store; never anyone else with the same phone")
    common(r)
    r.add_argument("member_id")
    r.add_argument("--reason", default="request made to the chain", help="why (kept in the output)")
    r.set_defaults(func=cmd_member_erase)

    q = hq.add_parser("unmerge", help="reverse a merge of two members into one person")
    common(q)
    q.add_argument("merge_id", type=int)
    q.set_defaults(func=cmd_unmerge)

    q = hq.add_parser("migrate-warehouse", help="copy a warehouse (an SQLite file) into another (PostgreSQL), "
                                               "then check the counts")
    q.add_argument("--from", dest="from_", required=True, help="the warehouse to copy: an SQLite file")
    q.add_argument("--to", required=True, help="the warehouse to fill: a postgresql:// URL")
    q.add_argument("--resume", action="store_true", help="the target has rows from an interrupted copy: finish it")
    q.add_argument("--warehouse", help=argparse.SUPPRESS)
    q.set_defaults(func=cmd_migrate)

    q = hq.add_parser("retention", help="archive events older than --keep-days business days (PostgreSQL: "
                                       "detach the day partitions) and make the coming days' partitions")
    common(q)
    q.add_argument("--keep-days", type=int, required=True)
    q.add_argument("--archive-dir", help="write each archived day here as gzip CSV (PostgreSQL without it: "
                                         "the partition moves to the hq_archive schema)")
    q.set_defaults(func=cmd_retention)
