"""Idempotency-Key for POSTs that create something: a replay returns the first answer's bytes;
the same key with another body is 409."""

import hashlib
from collections.abc import Awaitable, Callable

from litestar import Request, Response

from ..domain.errors import FieldError, IdempotencyConflict, InvalidInput
from ..services.runtime import StoreRuntime
from ..store import idempotency as repo

HEADER = "idempotency-key"


async def idempotent(request: Request, store: StoreRuntime, route: str,
                     run: Callable[[], Awaitable[tuple[int, bytes]]]) -> Response:
    """Answer with `run()`'s (status, JSON bytes), or with the stored first answer for this key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = await run()
        return Response(body, status_code=status, media_type="application/json")
    if not 1 <= len(key) <= 128:
        raise InvalidInput.on("Idempotency-Key", "1 to 128 characters")
    digest = hashlib.sha256(await request.body()).hexdigest()
    seen = repo.find(store.reader.conn, route, key)
    if seen is None:
        status, body = await run()
        now = store.clock()
        await store.writer.run(lambda conn: repo.remember(conn, route, key, digest, status, body, now))
        seen = repo.find(store.reader.conn, route, key)  # a racing twin may have stored first
        assert seen is not None
    stored_hash, status, body = seen
    if stored_hash != digest:
        raise IdempotencyConflict("this Idempotency-Key was used with another body",
                                  [FieldError("Idempotency-Key", "already used with another body")])
    return Response(body, status_code=status, media_type="application/json")
