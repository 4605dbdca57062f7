"""Membership terms and privacy policy: the version in force, its texts, and publishing a new one.

Until a store publishes its own, the default templates (zh-CN and English, `pages.policy_defaults`)
are in force under the store's configured `consent_policy_version`. A published text left out falls
back to its template. Consents record the version the customer was shown and accepted.
"""

import sqlite3

import msgspec

from ..domain.clock import iso
from ..domain.errors import Conflict, FieldError, NotFound
from ..pages.policy_defaults import DEFAULTS
from ..schemas import PolicyIn, PolicyOut
from ..store import policies as repo
from .runtime import StoreRuntime

DOCUMENTS = ("terms", "privacy")


def _out(store: StoreRuntime, row: repo.PolicyRow | None) -> PolicyOut:
    name = store.config.name
    if row is None:
        return PolicyOut(version=store.config.consent_policy_version, published_at=None,
                         **{f"{d}_{lang}": DEFAULTS[d][lang].format(store_name=name)
                            for d in DOCUMENTS for lang in ("zh", "en")},
                         custom=[])
    texts, custom = {}, []
    for d in DOCUMENTS:
        for lang in ("zh", "en"):
            own = getattr(row, f"{d}_{lang}")
            texts[f"{d}_{lang}"] = own if own is not None else DEFAULTS[d][lang].format(store_name=name)
            if own is not None:
                custom.append(f"{d}_{lang}")
    return PolicyOut(version=row.version, published_at=row.published_at, custom=custom, **texts)


def current(store: StoreRuntime) -> PolicyOut:
    """The terms and privacy policy in force now (one indexed read)."""
    return _out(store, repo.latest(store.reader.conn))


def current_version(conn: sqlite3.Connection, store: StoreRuntime) -> str:
    row = repo.latest(conn)
    return row.version if row is not None else store.config.consent_policy_version


def version(store: StoreRuntime, wanted: str) -> PolicyOut:
    """A version a customer may have accepted: the published one, or the defaults' own version."""
    row = repo.by_version(store.reader.conn, wanted)
    if row is None and wanted != store.config.consent_policy_version:
        raise NotFound(f"no policy version {wanted}", [FieldError("version", "no such version")])
    return _out(store, row)


async def publish(store: StoreRuntime, data: PolicyIn) -> tuple[PolicyOut, bool]:
    """Publish a new version (201); the same version with the same texts again answers it (200); the
    same version with other texts is 409: a version a customer accepted never changes under them."""

    def command(conn: sqlite3.Connection) -> tuple[repo.PolicyRow, bool]:
        found = repo.by_version(conn, data.version)
        texts = msgspec.structs.asdict(data)
        texts.pop("version")
        if found is not None:
            if any(getattr(found, k) != v for k, v in texts.items()):
                raise Conflict(f"policy version {data.version} was published with other texts",
                               [FieldError("version", "already published: choose a new version")])
            return found, False
        if data.version == store.config.consent_policy_version and repo.latest(conn) is None:
            raise Conflict("this version names the default texts customers may already have accepted",
                           [FieldError("version", "the defaults' version: choose a new version")])
        row = repo.PolicyRow(version=data.version, published_at=iso(store.clock()), **texts)
        repo.insert(conn, row)
        return row, True

    row, created = await store.writer.run(command)
    return _out(store, row), created
