"""Every error becomes application/problem+json (RFC 9457) naming the field and the reason."""

import logging
import re

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from printers.fonts import FontMissing

from ..domain.errors import StoreEdgeError

log = logging.getLogger("store_edge.errors")
PROBLEM = "application/problem+json"
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_encode = msgspec.json.Encoder().encode


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


def on_domain_error(_: Request, exc: StoreEdgeError) -> Response:
    return problem(exc.status, exc.slug, exc.title, exc.detail,
                   [{"field": e.field, "reason": e.reason} for e in exc.errors], **exc.extra)


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [{"field": _field_of(e), "reason": str(e.get("message", "invalid"))} for e in extra if isinstance(e, dict)]
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


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal", "Internal error", "the store service hit an unexpected error; nothing was saved")


HANDLERS = {StoreEdgeError: on_domain_error, ValidationException: on_validation_error,
            HTTPException: on_http_error, FontMissing: on_font_missing, Exception: on_unexpected}
