"""Strict body decoding: Litestar converts bodies with strict=False, which would turn "qty": 1.0 or
"price_fen": "1200" into ints. Money must never pass through a float or a string, so every JSON
body is first decoded strictly, with msgspec, against the handler's own `data` type.

The same hook calls the till's hottest handlers itself (`direct`): it already holds all they take."""

import math
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import (
    HTTPException,
    ImproperlyConfiguredException,
    InternalServerException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Empty

from ..domain.errors import StoreEdgeError
from ..services.exceptions import REPLAY_HEADER, keep_refused_replay
from .auth import require_role

_decoders: dict[Any, msgspec.json.Decoder | None] = {}


def _decoder_for(handler: Any) -> msgspec.json.Decoder | None:
    if handler not in _decoders:
        field = handler.parsed_fn_signature.parameters.get("data")
        kind = getattr(getattr(field, "kwarg_definition", None), "media_type", None)
        wants_json = field is not None and getattr(kind, "value", kind) == "application/json"
        _decoders[handler] = msgspec.json.Decoder(field.annotation) if wants_json else None
    return _decoders[handler]


DIRECT_PARAMETERS = frozenset({"store", "data"})
# msgspec descends one C stack frame per level of nesting, also through values it skips (an unknown
# field, an `Any`), and stops at the interpreter's recursion limit: a body nested a few thousand
# levels deep would end as a RecursionError, a 500. That limit is the depth limit; hitting it is a 400.
TOO_DEEP = "the body is nested too deeply"


def direct(opt: dict) -> dict:
    """Mark a handler whose parameters are exactly (store, data) to be called by the hook itself.

    Litestar takes a before_request hook's answer as the response and skips resolving the
    handler's kwargs (signature model, dependency batches, an exit stack): ~9 us of a ~110 us
    quote in process. The handler stays the one route Litestar documents and tests reach.
    """
    return {**opt, "direct": True}


def keeps_replays(opt: dict) -> dict:
    """Mark a handler whose refused journal replays (`X-Offline-Replay: 1`) are kept at the edge."""
    return {**opt, "keeps_replays": True}


async def authorize_and_decode(request: Request) -> Any:
    """The app's before_request hook: the caller's role first, then a strict look at the body;
    for a `direct` handler, its answer."""
    require_role(request)
    handler = request.route_handler
    if handler.opt.get("keeps_replays") and _is_replay(request.scope["headers"]):
        try:
            return await _decode_and_answer(request, handler)
        except (StoreEdgeError, HTTPException) as refused:
            # an authorised till replaying its journal: the sale must not live only in the POS's file
            await _keep_refused(request, refused)
            raise
    return await _decode_and_answer(request, handler)


async def _decode_and_answer(request: Request, handler: Any) -> Any:
    await decode_strictly(request)
    if not handler.opt.get("direct"):
        return None
    return await handler.fn(store=request.app.state.store, data=request._connection_state.json)


def _is_replay(raw: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == REPLAY_HEADER and value.strip() == b"1" for name, value in raw)


async def _keep_refused(request: Request, refused: Exception) -> None:
    if isinstance(refused, StoreEdgeError):
        status = refused.status
        error = "; ".join(f"{e.field}: {e.reason}" for e in refused.errors) or refused.detail
    else:
        assert isinstance(refused, HTTPException)
        status = refused.status_code
        extra = refused.extra if isinstance(refused.extra, list) else []
        error = "; ".join(f"{e.get('key') or 'body'}: {e.get('message')}" for e in extra if isinstance(e, dict)) \
            or str(refused.detail)
    if status in (401, 403, 429) or status >= 500:
        return
    body = request._connection_state.body
    await keep_refused_replay(request.app.state.store, body if isinstance(body, bytes) else b"", status, error)


def check_direct_handlers(app: Litestar) -> None:
    """At startup: every `direct` handler takes exactly (store, data), or the app does not start."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.opt.get("direct"):
                names = frozenset(handler.parsed_fn_signature.parameters)
                if names != DIRECT_PARAMETERS or _decoder_for(handler) is None:
                    raise ImproperlyConfiguredException(
                        f"{handler.handler_name}: a direct handler takes (store, data) with a JSON body, not "
                        f"{sorted(names)}")


async def decode_strictly(request: Request) -> None:
    """Refuse a body the handler's type does not take exactly."""
    decoder = _decoder_for(request.route_handler)
    if decoder is None:
        return
    body = await read_body(request)
    try:
        # Handed on as the parsed body: Litestar reads `data` from here and passes a Struct of the
        # right type through unchanged, so the body is parsed once, strictly.
        request._connection_state.json = decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at `$")
        key = path.rstrip("`").lstrip(".")
        raise ValidationException(detail="Validation failed", extra=[{"message": message, "key": key,
                                                                       "source": "body"}]) from None
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=str(exc)) from None
    except RecursionError:
        raise ValidationException(detail=TOO_DEEP) from None


async def read_body(request: Request) -> bytes:
    """The whole body, read straight off the ASGI channel and left where Litestar looks for it.

    Litestar's own reader first builds every header into a Headers object for the content-length;
    this reads the messages directly (~10 us less a request) and enforces the same size limit with
    the same 413.
    """
    state = request._connection_state
    if state.body is not Empty:
        return state.body
    limit = request.route_handler.resolve_request_max_body_size() or math.inf
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await request.receive()
        if event["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not event.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    state.body = body
    return body
