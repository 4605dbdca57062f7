"""Health, for the supervisor and the store's monitoring: no key needed, no data exposed."""

from litestar import Response, get

from .. import __version__
from ..schemas import HealthOut
from ..store.outbox import outbox_depth
from .deps import StoreDep


# In a worker thread (each has its own read connection): counting the outbox takes ~5 ms at 300,000
# events, and anyone may poll this without a key; on the event loop every lane would wait it out.
@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(store: StoreDep) -> Response[HealthOut]:
    """ok, version, whether the database takes writes, and the outbox depth."""
    writable = store.writer.healthy()
    out = HealthOut(ok=writable, version=__version__, store_id=store.config.store_id, database_writable=writable,
                    outbox_depth=outbox_depth(store.reader.conn))
    return Response(out, status_code=200 if writable else 503)
