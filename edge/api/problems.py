"""Every error becomes application/problem+json (RFC 9457) naming the field and the reason."""

import logging
import re
import sqlite3

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from printers.fonts import FontMissing

from ..domain.errors import StoreEdgeError
from ..domain.text import ID_PATTERN, PRINTABLE_PATTERN
from ..store.writer import WriterStopped
from .log_fields import log_text

log = logging.getLogger("store_edge.errors")
PROBLEM = "application/problem+json"
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_encode = msgspec.json.Encoder().encode
# msgspec names a failed pattern by its regex; say what it means instead
_PATTERN_REASONS = {
    f"Expected `str` matching regex {ID_PATTERN!r}": "Expected letters, digits and _ . : - only",
    f"Expected `str` matching regex {PRINTABLE_PATTERN!r}": "Expected text without control characters",
}
# SQLite result codes of a store that cannot take writes now: a full disk, a read-only or failing
# file, a lock held past the busy timeout. The till gets a 503 to retry or journal, not a 500.
STORAGE_UNAVAILABLE = frozenset({"SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_BUSY",
                                 "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_NOTADB",
                                 "SQLITE_CORRUPT"})
RETRY_AFTER_SECONDS = 5


def problem(status: int, slug: str, title: str, detail: str, errors: list[dict] | None = None,
            **extra: object) -> Response:
    body = {"type": f"urn:store-edge:problem:{slug}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(content=_encode(body), status_code=status, media_type=PROBLEM)


def _field_of(item: dict) -> str:
    """Litestar names the object a missing or unknown field sits in; name the field itself."""
    key = str(item.get("key") or "")
    if key == "data" or key.startswith("data."):  # Litestar names the body "data"; clients know fields
        key = key[5:]
    message = str(item.get("message", ""))
    found = _MISSING.search(message) or _UNKNOWN.search(message)
    if found:
        key = f"{key}.{found.group(1)}" if key else found.group(1)
    return key or "body"


def _reason(message: str) -> str:
    for raw, plain in _PATTERN_REASONS.items():
        message = message.replace(raw, plain)
    return message


def on_domain_error(_: Request, exc: StoreEdgeError) -> Response:
    return problem(exc.status, exc.slug, exc.title, exc.detail,
                   [{"field": e.field, "reason": e.reason} for e in exc.errors], **exc.extra)


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [{"field": _field_of(e), "reason": _reason(str(e.get("message", "invalid")))} for e in extra
              if isinstance(e, dict)]
    if not errors:  # the body was not JSON at all (truncated, not UTF-8, empty)
        return problem(400, "malformed-body", "Malformed body", f"the body is not valid JSON: {exc.detail}",
                       [{"field": "body", "reason": str(exc.detail)}])
    first = errors[0]
    return problem(422, "invalid-input", "Invalid input", f"{first['field']}: {first['reason']}", errors)


def on_http_error(_: Request, exc: HTTPException) -> Response:
    slug = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large", 429: "rate-limited"}.get(
        exc.status_code, "http-error")
    headers = getattr(exc, "headers", None) or {}
    resp = problem(exc.status_code, slug, slug.replace("-", " ").capitalize(), str(exc.detail),
                   [{"field": "body", "reason": str(exc.detail)}] if exc.status_code == 413 else None)
    resp.headers.update(headers)
    return resp


def on_font_missing(_: Request, exc: FontMissing) -> Response:
    """Posters need a CJK font the machine lacks: say which, and how to get it (not a bare 500)."""
    return problem(503, "font-missing", "Font missing", str(exc),
                   [{"field": "font", "reason": "no CJK font: install Noto Sans CJK (Debian: fonts-noto-cjk) "
                                                "or set STORE_EDGE_CJK_FONT to a .ttc/.otf/.ttf file"}])


def storage_unavailable(exc: BaseException) -> bool:
    """True for a failure of the store's file rather than of the request: retry later."""
    if isinstance(exc, WriterStopped):
        return True
    name = getattr(exc, "sqlite_errorname", None)  # e.g. SQLITE_IOERR_WRITE: its family is SQLITE_IOERR
    family = "_".join((name or "").split("_")[:2])
    return isinstance(exc, sqlite3.Error) and family in STORAGE_UNAVAILABLE


def on_unexpected(request: Request, exc: Exception) -> Response:
    if storage_unavailable(exc):
        log.error("store unavailable on %s %s: %s", request.method, log_text(request.scope.get("path", "")),
                  log_text(str(exc)))
        resp = problem(503, "store-unavailable", "Store unavailable",
                       "the store's database cannot take this now (disk full, read-only or failing); nothing "
                       "was saved: retry shortly, or keep the sale in the offline journal")
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return resp
    log.exception("unexpected error on %s %s", request.method, log_text(request.scope.get("path", "")))
    return problem(500, "internal", "Internal error", "the store service hit an unexpected error; nothing was saved")


HANDLERS = {StoreEdgeError: on_domain_error, ValidationException: on_validation_error,
            HTTPException: on_http_error, FontMissing: on_font_missing, Exception: on_unexpected}
