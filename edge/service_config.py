"""The service's settings file (`/etc/store-edge/config.toml`): where the store lives, how it listens,
logs and is backed up, what `doctor` checks. The store's own settings (id, time zone, business day,
its receipt printers) stay in its database, so one file is the whole store and its backup.

`--config FILE` or `STORE_EDGE_CONFIG` names the file; without one every default applies, and a
command-line flag always wins over the file. `deploy/config.example.toml` is the commented example.
"""

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Annotated

import msgspec

from .logformat import LogFormat

ENV = "STORE_EDGE_CONFIG"
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]


class Http(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Port = 8000
    access_log: bool = False
    # Reverse proxies (addresses or networks) whose X-Forwarded-For / -Proto are believed. Empty: none,
    # and the join pages' rate limits count the address that connected.
    trusted_proxies: list[str] = []


class Log(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    format: LogFormat = "text"
    level: str = "info"


class BackupSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    dir: str = ""  # default: <data_dir>/backups
    keep: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 48
    copy_to: str = ""  # a second disk or a mounted share; empty: none
    max_age_hours: Annotated[float, msgspec.Meta(gt=0)] = 2.0  # doctor warns past this


class Hq(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: str = ""  # HQ's address: doctor checks it answers and compares clocks


class Doctor(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    min_free_mb: Annotated[int, msgspec.Meta(ge=0)] = 1024
    max_wal_mb: Annotated[int, msgspec.Meta(ge=1)] = 256
    max_clock_skew_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0


class ServiceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    data_dir: str = ""
    http: Http = msgspec.field(default_factory=Http)
    log: Log = msgspec.field(default_factory=Log)
    backup: BackupSettings = msgspec.field(default_factory=BackupSettings)
    hq: Hq = msgspec.field(default_factory=Hq)
    doctor: Doctor = msgspec.field(default_factory=Doctor)
    source: str = ""  # the file it was read from (not a setting)

    def backup_dir(self, data_dir: Path) -> Path:
        return Path(self.backup.dir) if self.backup.dir else data_dir / "backups"


class ConfigError(ValueError):
    """The settings file is missing, not TOML, or has a wrong field; the message names it."""


def load(path: Path | str) -> ServiceConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = msgspec.convert(raw, ServiceConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for entry in config.http.trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(f"{path}: http.trusted_proxies: {entry!r} is not an address or network") from None
    return msgspec.structs.replace(config, source=str(path))


def resolve(path: str | None = None) -> ServiceConfig:
    """The settings from `path`, else from $STORE_EDGE_CONFIG, else the defaults."""
    chosen = path or os.environ.get(ENV)
    return load(chosen) if chosen else ServiceConfig()
