"""What travels between a store and HQ: batch headers, acks, status, config bundles.

Both sides import these, so the edge and the puller can never disagree on a field. Wire types only
gain fields, always with defaults: an older store talks to a newer HQ.
"""

import hashlib
import hmac
from typing import Annotated, Any

import msgspec

BATCH_DOMAIN = "store-edge/batch/v1"
BUNDLE_DOMAIN = "store-edge/bundle/v1"
JSON_LINES = "application/x-ndjson"
INT64_MAX = 2**63 - 1  # what SQLite's INTEGER holds
MAX_BUNDLE_BODY = 64 * 1024 * 1024  # a chain-wide member directory can be large
MSGPACK = "application/msgpack"


class BatchHeader(msgspec.Struct, frozen=True, kw_only=True):
    store_id: str
    epoch_id: str
    batch_seq: int
    first_seq: int
    last_seq: int
    count: int
    sha256: str  # of the JSON-lines body, before any compression
    signature: str  # HMAC-SHA256 with the store's sync key over `signed_text(...)`
    oldest_at: str
    sealed_at: str
    acked: bool = False


class DataKey(msgspec.Struct, frozen=True, kw_only=True):
    """A person's data key, sent beside the listing (answered fresh each pull, never sealed in a batch),
    with the first batch whose events it opens. A key erasure destroyed is no longer listed."""

    kid: str
    key: str  # hex
    batch_seq: int


class BatchList(msgspec.Struct, kw_only=True):
    store_id: str
    epoch_id: str
    epoch_first_batch_seq: int  # a cursor from another epoch resumes just before this
    last_batch_seq: int
    acked_through: int
    batches: list[BatchHeader]
    config_version: int = 0  # the bundle version the store has applied: HQ builds deltas on it
    keys: list[DataKey] = []  # data keys first sent with the listed batches


class BatchEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a batch body."""

    seq: int
    event_id: str
    type: str
    occurred_at: str
    payload: msgspec.Raw | Any


class AckIn(msgspec.Struct, frozen=True, kw_only=True):
    through_batch_seq: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
    # the puller always sends it; without it the ack is for the current epoch
    epoch_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class AckOut(msgspec.Struct, kw_only=True):
    epoch_id: str
    acked_through: int
    newly_acked: int
    pruned_events: int


class SyncStatus(msgspec.Struct, kw_only=True):
    store_id: str
    epoch_id: str
    last_batch_seq: int
    acked_through: int
    unacked_batches: int
    unsealed_events: int
    outbox_depth: int
    oldest_unacked_at: str | None
    config_version: int
    retention_hours: int


class BundleEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """A signed config bundle for one store: `body` is the exact JSON the sha256 and signature cover."""

    store_id: Annotated[str, msgspec.Meta(max_length=64)]
    version: Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]
    sha256: Annotated[str, msgspec.Meta(max_length=64)]
    signature: Annotated[str, msgspec.Meta(max_length=64)]
    body: Annotated[str, msgspec.Meta(max_length=MAX_BUNDLE_BODY)]


class ConfigApplied(msgspec.Struct, kw_only=True):
    store_id: str
    version: int
    applied: dict[str, int]


def signed_text(domain: str, *parts: object) -> bytes:
    return "|".join([domain, *(str(p) for p in parts)]).encode()


def sign(key: bytes, text: bytes) -> str:
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def batch_signature(key: bytes, store_id: str, epoch_id: str, batch_seq: int, first_seq: int, last_seq: int,
                    count: int, sha256: str) -> str:
    return sign(key, signed_text(BATCH_DOMAIN, store_id, epoch_id, batch_seq, first_seq, last_seq, count, sha256))


def bundle_signature(key: bytes, store_id: str, version: int, sha256: str) -> str:
    return sign(key, signed_text(BUNDLE_DOMAIN, store_id, version, sha256))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
