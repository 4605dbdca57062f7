"""The manager's exceptions list: what the till did that the edge would not have, each resolvable.

Sales add theirs in their own transaction (services.sales); a journal replay the edge refuses is
kept here with its body (`keep_refused_replay`), so a sale never lives only in a POS's file. Other
parts of the store add their own kinds through `edge.store.exceptions.add`.
"""

import hashlib
import re
import sqlite3

import msgspec

from ..domain.errors import FieldError, NotFound
from ..domain.identity import payer_hash
from ..schemas import ExceptionOut, ExceptionsOut
from ..store import exceptions as repo
from .runtime import StoreRuntime

REPLAY_HEADER = b"x-offline-replay"
_PAYER_TEXT = re.compile(rb'("payer_id"\s*:\s*)"(?:[^"\\]|\\.)*"')


def exception_out(row: repo.ExceptionRow) -> ExceptionOut:
    fields = msgspec.structs.asdict(row)
    body = fields.pop("body")
    return ExceptionOut(**fields, body=body.decode("utf-8", "replace") if body is not None else None)


def list_exceptions(store: StoreRuntime, kind: str | None, open_only: bool | None, limit: int,
                    before: str | None) -> ExceptionsOut:
    status = None if open_only is None else ("open" if open_only else "resolved")
    conn = store.reader.conn
    rows = repo.listing(conn, kind, status, limit, before)
    return ExceptionsOut(exceptions=[exception_out(r) for r in rows], open_count=repo.open_count(conn))


async def resolve(store: StoreRuntime, exception_id: str, note: str) -> ExceptionOut:
    """Resolve an exception with the manager's note; resolving again keeps the first note."""

    def command(conn: sqlite3.Connection) -> repo.ExceptionRow:
        if repo.get(conn, exception_id) is None:
            raise NotFound(f"no exception {exception_id}", [FieldError("exception_id", "no such exception")])
        repo.resolve(conn, exception_id, note, store.clock())
        return repo.get(conn, exception_id)  # type: ignore[return-value]

    return exception_out(await store.writer.run(command))


def redact(store: StoreRuntime, body: bytes) -> bytes:
    """The body with any raw payer id replaced by its hash: raw payment ids are never stored."""
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return _PAYER_TEXT.sub(rb'\1"[redacted]"', body)
    pay = doc.get("payment") if isinstance(doc, dict) else None
    if isinstance(pay, dict) and "payer_id" in pay:
        raw = pay["payer_id"]
        provider, scope = pay.get("provider"), pay.get("scope", "")
        if isinstance(raw, str) and isinstance(provider, str) and isinstance(scope, str):
            pay["payer_id"] = "[hmac:" + payer_hash(store.chain_key, provider, scope, raw) + "]"
        else:
            pay["payer_id"] = "[redacted]"
        return msgspec.json.encode(doc)
    return body


def _field(doc: object, name: str) -> str | None:
    value = doc.get(name) if isinstance(doc, dict) else None
    return value[:64] if isinstance(value, str) else None


async def keep_refused_replay(store: StoreRuntime, body: bytes, status: int, error: str) -> None:
    """Keep a journal replay the edge refused, once per body: the manager sees it and can re-key it."""
    kept = redact(store, body[: repo.MAX_BODY * 4])
    try:
        doc = msgspec.json.decode(kept)
    except msgspec.DecodeError:
        doc = None
    sale_id, lane_id = _field(doc, "sale_id"), _field(doc, "lane_id")
    reason = f"a sale replayed from a till's offline journal was refused ({status}): {error}"[:500]
    key = "replay:" + hashlib.sha256(body).hexdigest()

    def command(conn: sqlite3.Connection) -> None:
        repo.add(conn, "replay_refused", reason, store.clock(), sale_id=sale_id, lane_id=lane_id, body=kept,
                 error=error[:2000], dedupe_key=key)

    await store.writer.run(command)
