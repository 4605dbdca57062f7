"""`store-edge doctor`: is this store's machine fit to run the store? One line per finding, each saying
what to fix, and an exit code for monitoring (0 ok, 1 a warning, 2 a failure: the Nagios convention).

A check is a function of the context returning findings; `DEFAULT_CHECKS` lists them in the order
they print. Printers and HQ are checks like the others, so a deployment can swap or add its own
(`run_checks(ctx, [*DEFAULT_CHECKS, my_check])`).
"""

import email.utils
import os
import shutil
import socket
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import httpx

from ..domain.clock import Clock, system_clock
from ..service_config import ServiceConfig
from ..store import service_lock
from .backup import DB_NAME, latest_backup

Status = Literal["ok", "warn", "fail"]
EXIT_CODES = {"ok": 0, "warn": 1, "fail": 2}
MB = 1024 * 1024


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}[self.status]
        return f"{mark}  {self.check:<9} {self.detail}" + (f"  -> {self.fix}" if self.fix else "")


@dataclass
class DoctorContext:
    settings: ServiceConfig
    data_dir: Path
    clock: Clock = system_clock
    timeout: float = 3.0
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def backup_dir(self) -> Path:
        return self.settings.backup_dir(self.data_dir)


Check = Callable[[DoctorContext], list[Finding]]


def _size(n: float) -> str:
    return f"{n / MB:.1f} MB" if n < 1024 * MB else f"{n / (1024 * MB):.1f} GB"


def check_config(ctx: DoctorContext) -> list[Finding]:
    source = ctx.settings.source or "defaults (no --config / STORE_EDGE_CONFIG)"
    out = [Finding("config", "ok", f"settings from {source}")]
    if not ctx.data_dir.is_dir():
        out.append(Finding("config", "fail", f"data directory {ctx.data_dir} does not exist",
                           "set data_dir in the config file, or run deploy/install.sh"))
    elif not os.access(ctx.data_dir, os.W_OK):
        out.append(Finding("config", "fail", f"data directory {ctx.data_dir} is not writable by this user",
                           "run as the service user: sudo -u store-edge store-edge doctor"))
    return out


def check_database(ctx: DoctorContext) -> list[Finding]:
    from .upgrade import pending_migrations, unknown_migrations

    if not ctx.db_path.exists():
        return [Finding("database", "fail", f"no store database at {ctx.db_path}",
                        "create it: store-edge init (deploy/install.sh does this)")]
    try:
        conn = sqlite3.connect(f"file:{ctx.db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [Finding("database", "fail", f"cannot open {ctx.db_path}: {exc}", "check its owner and permissions")]
    try:
        quick = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        import sqlite_utils

        newer = unknown_migrations(conn)
        pending = pending_migrations(sqlite_utils.Database(conn))
        live = dict(conn.execute("SELECT role, count(*) FROM api_keys WHERE revoked_at IS NULL GROUP BY role"))
        store_id = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
    except sqlite3.DatabaseError as exc:
        return [Finding("database", "fail", f"{ctx.db_path} cannot be read: {exc}",
                        "restore the latest backup: store-edge restore FILE (see store-edge backup --list)")]
    finally:
        conn.close()
    ctx.notes["live_keys"] = live
    size = ctx.db_path.stat().st_size
    name = f"store {store_id[0]}" if store_id else "store"
    if quick != ["ok"]:
        return [Finding("database", "fail", f"{name}: integrity problems: {'; '.join(quick[:3])}",
                        "stop the service and restore the latest backup: store-edge restore FILE")]
    out = [Finding("database", "ok", f"{name}, integrity ok, {_size(size)}")]
    if newer:
        out.append(Finding("database", "fail", f"made by a newer store-edge ({len(newer)} unknown migrations)",
                           "install that release again, or restore a backup taken before its upgrade"))
    elif pending:
        out.append(Finding("database", "warn", f"{len(pending)} migrations will run at the next start",
                           "restart the service (a backup is taken first): systemctl restart store-edge"))
    return out


def check_wal(ctx: DoctorContext) -> list[Finding]:
    wal = Path(f"{ctx.db_path}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    limit = ctx.settings.doctor.max_wal_mb * MB
    if size > limit:
        return [Finding("wal", "warn", f"write-ahead log {_size(size)} (over {ctx.settings.doctor.max_wal_mb} MB): "
                        f"a long reader keeps it from being folded in",
                        "restart the service at a quiet moment: systemctl restart store-edge")]
    return [Finding("wal", "ok", f"write-ahead log {_size(size)}")]


def check_keys(ctx: DoctorContext) -> list[Finding]:
    live = ctx.notes.get("live_keys")
    if not isinstance(live, dict):
        return []  # the database check already said why
    out = []
    for role in ("lane", "manager"):
        if not live.get(role):
            out.append(Finding("keys", "fail", f"no live {role} key",
                               f"store-edge keys create --role {role} --label '...' (prints it once)"))
    if not live.get("hq"):
        out.append(Finding("keys", "warn", "no live hq key: HQ cannot pull this store",
                           "store-edge keys create --role hq, and give it to HQ"))
    if not out:
        out.append(Finding("keys", "ok", ", ".join(f"{n} {r}" for r, n in sorted(live.items()))))
    return out


def check_disk(ctx: DoctorContext) -> list[Finding]:
    out = []
    seen: set[int] = set()
    for label, path in (("data", ctx.data_dir), ("backups", ctx.backup_dir),
                        ("copy", Path(ctx.settings.backup.copy_to) if ctx.settings.backup.copy_to else None)):
        if path is None:
            continue
        probe = path if path.exists() else path.parent
        if not probe.exists():
            if label == "copy":
                out.append(Finding("disk", "fail", f"backup copy directory {path} is missing (disk not mounted?)",
                                   "mount the second disk, or set backup.copy_to to an existing directory"))
            continue
        dev = probe.stat().st_dev
        if dev in seen:
            continue
        seen.add(dev)
        free = shutil.disk_usage(probe).free
        if free < ctx.settings.doctor.min_free_mb * MB:
            out.append(Finding("disk", "fail", f"{label} ({probe}): {_size(free)} free",
                               f"free space (old files, journal: journalctl --vacuum-size=200M); need "
                               f"{ctx.settings.doctor.min_free_mb} MB"))
        else:
            out.append(Finding("disk", "ok", f"{label} ({probe}): {_size(free)} free"))
    return out


def check_fonts(ctx: DoctorContext) -> list[Finding]:
    from printers.fonts import FontMissing, find_font

    try:
        path, _ = find_font()
    except FontMissing as exc:
        return [Finding("fonts", "fail", f"posters cannot be drawn: {exc}",
                        "apt-get install fonts-noto-cjk (or set STORE_EDGE_CJK_FONT)")]
    return [Finding("fonts", "ok", f"CJK font {path}")]


def check_backup(ctx: DoctorContext) -> list[Finding]:
    max_age = ctx.settings.backup.max_age_hours
    newest = latest_backup(ctx.backup_dir)
    timer = "check the timer: systemctl status store-edge-backup.timer; or run store-edge backup"
    if newest is None:
        return [Finding("backup", "warn", f"no backup in {ctx.backup_dir} yet", timer)]
    age = (ctx.clock() - newest.taken_at).total_seconds() / 3600
    out = []
    if age > max_age:
        out.append(Finding("backup", "warn", f"last backup {age:.1f} h ago (more than {max_age:g} h)", timer))
    else:
        out.append(Finding("backup", "ok", f"last backup {age:.1f} h ago, {_size(newest.size)}: {newest.path.name}"))
    if ctx.settings.backup.copy_to:
        copied = latest_backup(ctx.settings.backup.copy_to)
        if copied is None or (ctx.clock() - copied.taken_at).total_seconds() / 3600 > max_age:
            out.append(Finding("backup", "warn", f"no recent copy in {ctx.settings.backup.copy_to}",
                               "is the second disk mounted and writable by the service user?"))
    return out


def check_service(ctx: DoctorContext) -> list[Finding]:
    if service_lock.held_by_other(ctx.data_dir):
        return [Finding("service", "ok", "the store is being served")]
    return [Finding("service", "warn", "no process serves this store", "systemctl start store-edge")]


def check_hq(ctx: DoctorContext) -> list[Finding]:
    """HQ answers at its configured address, and this machine's clock agrees with HQ's (its Date header)."""
    url = ctx.settings.hq.url
    if not url:
        return [Finding("hq", "ok", "no HQ address configured ([hq] url); HQ pulls this store when it can")]
    try:
        resp = httpx.get(url, timeout=ctx.timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        return [Finding("hq", "warn", f"HQ at {url} unreachable ({type(exc).__name__}); the store works offline",
                        "check the internet link and [hq] url")]
    out = [Finding("hq", "ok", f"HQ at {url} answers (HTTP {resp.status_code})")]
    date = resp.headers.get("date")
    if date:
        try:
            theirs = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return out
        skew = (ctx.clock() - theirs).total_seconds()
        limit = ctx.settings.doctor.max_clock_skew_seconds
        if abs(skew) > limit:
            out.append(Finding("clock", "fail", f"this clock is {skew:+.0f} s off HQ's (limit {limit:g} s): "
                               f"business days and member days depend on it",
                               "enable time sync: timedatectl set-ntp true"))
        else:
            out.append(Finding("clock", "ok", f"{skew:+.1f} s from HQ's clock"))
    return out


def check_printers(ctx: DoctorContext) -> list[Finding]:
    """Each receipt printer the store has (`store-edge printers add`) can be reached: a network printer
    accepts a connection on its port, a local one's device exists and is writable. Failed print jobs
    waiting for a reprint are named too."""
    from printers.transports import BadPrinterUrl, parse_url

    from ..store import print_jobs

    try:
        conn = sqlite3.connect(f"file:{ctx.db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []  # the database check already said why
    try:
        known = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'printers'").fetchone()
        rows = print_jobs.printers(conn) if known else []
        failed = len(print_jobs.jobs(conn, status="failed")) if known else 0
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    out = []
    for p in rows:
        try:
            address = parse_url(p.url)
        except BadPrinterUrl as exc:
            out.append(Finding("printer", "fail", f"{p.name}: {exc}", f"store-edge printers add --name {p.name} --url ..."))
            continue
        if address.kind == "tcp":
            try:
                with socket.create_connection((address.host, address.port), timeout=min(ctx.timeout, address.timeout)):
                    pass
            except OSError as exc:
                out.append(Finding("printer", "fail", f"{p.name} at {address.host}:{address.port} unreachable "
                                   f"({exc.strerror or exc})",
                                   f"is it on, cabled, and at that address? then: store-edge printers test --printer {p.name}"))
                continue
            out.append(Finding("printer", "ok", f"{p.name} at {address.host}:{address.port} accepts connections"))
        else:
            target = Path(address.path)
            where = target if address.kind == "device" else target.parent
            if not where.exists() or not os.access(where, os.W_OK):
                out.append(Finding("printer", "fail", f"{p.name}: {where} missing or not writable by this user",
                                   "plug the printer in; the service user needs the lp group for /dev/usb/lp*"))
            else:
                out.append(Finding("printer", "ok", f"{p.name} at {address.path}"))
    if failed:
        out.append(Finding("printer", "warn", f"{failed} print jobs failed and wait for a reprint",
                           "reprint them from the manager page once the printer works"))
    return out


DEFAULT_CHECKS: list[Check] = [check_config, check_database, check_wal, check_keys, check_disk, check_fonts,
                               check_backup, check_service, check_hq, check_printers]


def run_checks(ctx: DoctorContext, checks: Sequence[Check] | None = None) -> list[Finding]:
    out: list[Finding] = []
    for check in checks if checks is not None else DEFAULT_CHECKS:
        try:
            out.extend(check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            out.append(Finding(getattr(check, "__name__", "check").removeprefix("check_"), "fail",
                               f"the check itself failed: {type(exc).__name__}: {exc}"))
    return out


def exit_code(findings: Sequence[Finding]) -> int:
    return max((EXIT_CODES[f.status] for f in findings), default=0)


def as_dict(findings: Sequence[Finding], now: datetime) -> dict:
    return {"at": now.isoformat(), "status": ["ok", "warn", "fail"][exit_code(findings)],
            "findings": [{"check": f.check, "status": f.status, "detail": f.detail, "fix": f.fix} for f in findings]}
