"""HTTP endpoints HQ calls on a store (role `hq`): batches, acks, config bundles, status."""

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from edge.api.auth import roles
from edge.api.deps import StoreDep
from edge.api.params import PathSeq
from edge.domain.errors import Conflict, FieldError
from edge.domain.text import INT64_MAX

from . import batches, bundles, edge_service
from .wire import JSON_LINES, MSGPACK, AckIn, AckOut, BatchList, BundleEnvelope, ConfigApplied, SyncStatus

MAX_BUNDLE = 64 * 1024 * 1024  # a chain-wide member directory can be large; POS requests stay at the app's cap


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


class SyncController(Controller):
    path = "/sync/v1"
    tags = ["sync"]

    @get("/batches", opt=roles("hq"))
    async def list_batches(
        self, store: StoreDep,
        after: Annotated[int, QueryParameter(name="after", ge=0, le=INT64_MAX, description="HQ's last batch seq")] = 0,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=1000)] = 100,
        epoch: Annotated[str | None, QueryParameter(name="epoch", max_length=64,
                                                    description="the epoch HQ's cursor belongs to")] = None,
        store_id: Annotated[str | None, QueryParameter(name="store", max_length=64,
                                                       description="the store HQ means to pull")] = None,
    ) -> BatchList:
        """Seal pending events, then list sealed batch headers after `after` (in HQ's epoch, if it is ours)."""
        if store_id is not None and store_id != store.config.store_id:
            # a stores file pointing at the wrong store must not move this store's epoch
            raise Conflict(f"this is store {store.config.store_id}", [FieldError("store", "not this store")])
        return await edge_service.batches_for_hq(store, epoch, after, limit)

    @get("/batches/{batch_seq:int}", opt=roles("hq"), sync_to_thread=False,
         responses={200: ResponseSpec(data_container=bytes, media_type="application/x-ndjson",
                                      description="the sealed batch body, byte-identical on every pull; "
                                                  "sha256 and signature in headers", generate_examples=False)})
    def batch(
        self, request: Request, store: StoreDep, batch_seq: PathSeq,
        format_: Annotated[Literal["jsonl", "msgpack"], QueryParameter(name="format")] = "jsonl",
    ) -> Response[bytes]:
        """The batch body, byte-identical on every pull; sha256 and HMAC signature in the headers.

        JSON lines by default, MessagePack with `?format=msgpack` (or `Accept: application/msgpack`);
        gzip'd when the client accepts it. The sha256 and signature cover the uncompressed body.
        """
        header, body_gz = batches.batch_body(store.reader.conn, store.config.store_id, batch_seq)
        msgpack = format_ == "msgpack" or MSGPACK in request.headers.get("accept", "")
        headers = {"X-Store-Id": header.store_id, "X-Epoch-Id": header.epoch_id, "X-Batch-Seq": str(batch_seq),
                   "X-First-Seq": str(header.first_seq), "X-Last-Seq": str(header.last_seq),
                   "X-Event-Count": str(header.count), "Vary": "Accept-Encoding, Accept"}
        if msgpack:
            plain = batches.as_msgpack(batches.gzip_decompress(body_gz))
            sha = batches.sha256_hex(plain)
            headers["X-Body-Sha256"] = sha
            headers["X-Signature"] = edge_service.signature_for(store, header, sha)
            body = batches.gzip_fixed(plain) if _accepts_gzip(request) else plain
            media = MSGPACK
        else:
            headers["X-Body-Sha256"] = header.sha256
            headers["X-Signature"] = header.signature
            body = body_gz if _accepts_gzip(request) else batches.gzip_decompress(body_gz)
            media = JSON_LINES
        if _accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
        return Response(body, status_code=HTTP_200_OK, media_type=media, headers=headers)

    @post("/ack", opt=roles("hq"), status_code=HTTP_200_OK)
    async def ack(self, store: StoreDep, data: JSONBody[AckIn]) -> AckOut:
        """Acknowledge every batch through `through_batch_seq` of `epoch_id`; prunes past the retention."""
        return await edge_service.acknowledge(store, data)

    @post("/config", opt=roles("hq"), status_code=HTTP_200_OK, request_max_body_size=MAX_BUNDLE)
    async def config(self, store: StoreDep, data: JSONBody[BundleEnvelope]) -> ConfigApplied:
        """Apply a signed config bundle atomically; a bad signature or an older version is refused."""
        return await bundles.apply_bundle(store, data)

    # in a worker thread (each has its own read connection): it counts the outbox, tens of ms with a
    # week's backlog, which on the event loop every lane would wait out
    @get("/status", opt=roles("hq"), sync_to_thread=True)
    def status(self, store: StoreDep) -> SyncStatus:
        """Store id, epoch, last sealed and acknowledged batch, outbox depth, applied config version."""
        return edge_service.sync_status(store)
