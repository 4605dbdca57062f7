"""EdgeClient: one lane's calls to its store's edge, typed, with safe retries."""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote as quote_segment

import httpx
import msgspec

from ._errors import EdgeUnavailable, EdgeUnreachable, problem_from
from ._types import (
    Consent,
    Enrolment,
    LineIn,
    MemberSummary,
    Payer,
    Payment,
    Quote,
    QuoteRequest,
    Sale,
    SaleRequest,
)

T = TypeVar("T")
_encode = msgspec.json.Encoder().encode
RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout,
             httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.PoolTimeout)


LOOKUP_PATH = "/api/v1/members/lookup"


class RedactLookups(logging.Filter):
    """httpx logs every request's URL at INFO, and a lookup's query carries a phone or payer id: log
    the path alone for lookups. Installed on the "httpx" logger once, when a client is made."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            url = args[1]
            if url.path.endswith(LOOKUP_PATH) and url.query:
                record.args = (args[0], url.copy_with(query=b"redacted"), *args[2:])
        return True


def _redact_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactLookups) for f in logger.filters):
        logger.addFilter(RedactLookups())


def new_sale_id(lane_id: str) -> str:
    """A sale id made at the till: the lane and a random UUID, unique without asking anyone."""
    return f"{lane_id}-{uuid.uuid4().hex}"


def new_checkout_id(lane_id: str) -> str:
    """A checkout id made at the till (offline, the edge cannot make one): unique without asking anyone."""
    return f"{lane_id}-co-{uuid.uuid4().hex}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as the edge writes times."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


OFFLINE_REPLAY = {"X-Offline-Replay": "1"}


class EdgeClient:
    """Calls for one lane. Pass `client` to reuse a connection pool or to swap the transport in tests."""

    def __init__(self, base_url: str, lane_key: str, lane_id: str, cashier_id: str, *,
                 client: httpx.Client | None = None, timeout: float = 3.0, retries: int = 2,
                 backoff: Callable[[int], None] | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.lane_id = lane_id
        self.cashier_id = cashier_id
        _redact_httpx_logs()  # no phone or payer id reaches the POS's logs through httpx
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)
        self._own_client = client is None
        self._headers = {"Authorization": f"Bearer {lane_key}", "Content-Type": "application/json"}
        self._retries = retries
        # the till cannot wait long: 0.1 s, then 0.2 s, between attempts
        self._backoff = backoff or (lambda attempt: time.sleep(0.1 * 2 ** attempt))
        self.clock = clock
        self.last_seen_at: datetime | None = None  # the edge last answered (any status)
        self.last_unreachable_at: datetime | None = None

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self) -> "EdgeClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, body: Any = None, params: dict | None = None,
              headers: dict | None = None, retries: int | None = None) -> httpx.Response:
        """Send, retrying transport failures (every call here is safe to repeat)."""
        content = None if body is None else _encode(body)
        retries = self._retries if retries is None else retries
        for attempt in range(retries + 1):
            try:
                r = self._client.request(method, path, content=content, params=params,
                                         headers={**self._headers, **(headers or {})})
            except RETRYABLE as exc:
                if attempt == retries:
                    self.last_unreachable_at = self.clock()
                    raise EdgeUnreachable(f"{method} {path}: {type(exc).__name__}") from exc
                self._backoff(attempt)
                continue
            self.last_seen_at = self.clock()
            if r.status_code != 503:
                return r
            # 503: the edge is up but cannot write now (disk full, read-only); nothing was saved
            if attempt == retries:
                raise EdgeUnavailable(f"{method} {path}: 503 {r.text[:200]}")
            self._backoff(attempt)
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, type_: type[T], *, body: Any = None, params: dict | None = None,
              headers: dict | None = None, retries: int | None = None) -> T:
        """Send; decode the answer or raise the problem as a typed error."""
        r = self._send(method, path, body=body, params=params, headers=headers, retries=retries)
        if r.status_code >= 400:
            raise _problem(r)
        return msgspec.json.decode(r.content, type=type_)

    def catalog(self) -> list[dict]:
        return self._call("GET", "/api/v1/catalog", list[dict])

    def enrol(self, phone: str, consent: Consent, *, source: str = "cashier", checkout_id: str | None = None,
              name: str | None = None, birthday: str | None = None, referral_code: str | None = None,
              idempotency_key: str | None = None) -> MemberSummary:
        """Enrol (or find) the member at this phone; `created` says which. Retries replay safely."""
        body = {"phone": phone, "consent": consent, "source": source, "lane_id": self.lane_id,
                "cashier_id": self.cashier_id}
        for key, value in (("checkout_id", checkout_id), ("name", name), ("birthday", birthday),
                           ("referral_code", referral_code)):
            if value is not None:
                body[key] = value
        key = idempotency_key or uuid.uuid4().hex
        return self._call("POST", "/api/v1/members", MemberSummary, body=body, headers={"Idempotency-Key": key})

    def lookup(self, *, phone: str | None = None, member_id: str | None = None, code: str | None = None,
               payer: str | None = None, scope: str = "") -> MemberSummary:
        """Find a member by one identifier (payer as 'provider:payer id'); NotFoundError if none."""
        params = {k: v for k, v in (("phone", phone), ("member_id", member_id), ("code", code), ("payer", payer))
                  if v is not None}
        if scope:
            params["scope"] = scope
        return self._call("GET", LOOKUP_PATH, MemberSummary, params=params)

    def quote(self, lines: list[LineIn], *, member_id: str | None = None, phone: str | None = None,
              code: str | None = None, checkout_id: str | None = None, coupon_codes: list[str] | None = None,
              payer: Payer | None = None, retries: int | None = None) -> Quote:
        """Price the cart at the edge (and lock that price on the checkout, on an edge that locks).

        `payer`: the payment identity when the POS knows it before charging (pay code, face pay).
        """
        member = {k: v for k, v in (("member_id", member_id), ("phone", phone), ("code", code)) if v is not None}
        body = QuoteRequest(lane_id=self.lane_id, cashier_id=self.cashier_id, lines=lines, checkout_id=checkout_id,
                            member=member or None, coupon_codes=coupon_codes or [], payer=payer)
        return self._call("POST", "/api/v1/checkouts/quote", Quote, body=body, retries=retries)

    def sale_body(self, sale_id: str, lines: list[LineIn], payment: Payment, *, member_id: str | None = None,
                  checkout_id: str | None = None, coupon_codes: list[str] | None = None,
                  rung_up_at: datetime | None = None, enrolment: Enrolment | None = None) -> dict:
        """The sale as sent. `rung_up_at` marks a sale rung up offline (sent with `offline: true`)."""
        body = SaleRequest(sale_id=sale_id, lane_id=self.lane_id, cashier_id=self.cashier_id, lines=lines,
                           payment=payment, checkout_id=checkout_id, member_id=member_id,
                           coupon_codes=coupon_codes or [], offline=rung_up_at is not None,
                           rung_up_at=iso(rung_up_at) if rung_up_at is not None else None, enrolment=enrolment)
        return msgspec.to_builtins(body)

    def record_sale(self, sale_id: str, lines: list[LineIn], payment: Payment, **kw: Any) -> Sale:
        """Record a sale; a retry with the same sale_id answers the first answer."""
        return self.post_sale(self.sale_body(sale_id, lines, payment, **kw))

    def post_sale(self, body: dict, *, replay: bool = False, retries: int | None = None) -> Sale:
        """Send a sale body; `replay` marks a journaled sale sent later (X-Offline-Replay: 1)."""
        return self._call("POST", "/api/v1/sales", Sale, body=body, headers=OFFLINE_REPLAY if replay else None,
                          retries=retries)

    def get_sale(self, sale_id: str, *, retries: int | None = None) -> Sale:
        """The sale as the edge recorded it (to reprint, or to check after a timeout); NotFoundError if none."""
        return self._call("GET", f"/api/v1/sales/{_path(sale_id)}", Sale, retries=retries)

    def void_sale(self, sale_id: str, reason: str) -> Sale:
        """Void a sale: this lane within its void window, later only with a manager key."""
        return self._call("POST", f"/api/v1/sales/{_path(sale_id)}/void", Sale, body={"reason": reason})

    def cancel_checkout(self, checkout_id: str) -> None:
        """Cancel an open checkout: the edge releases what its quote reserved. Cancelling twice is fine."""
        r = self._send("DELETE", f"/api/v1/checkouts/{_path(checkout_id)}")
        if r.status_code >= 400 and r.status_code != 404:
            raise _problem(r)

    def price_book(self, version: str | None = None, *, retries: int | None = None) -> bytes | None:
        """The edge's price book as JSON bytes, or None when `version` is still current (304)."""
        headers = {"If-None-Match": f'"{version}"'} if version else None
        r = self._send("GET", "/api/v1/pricebook", headers=headers, retries=retries)
        if r.status_code == 304:
            return None
        if r.status_code >= 400:
            raise _problem(r)
        return r.content


def _path(segment: str) -> str:
    """An id as one path segment: ids are the till's own, but a slash or '?' must not change the route."""
    return quote_segment(segment, safe="")


def _problem(r: httpx.Response) -> Exception:
    try:
        problem = r.json()
    except ValueError:
        problem = {"title": r.reason_phrase, "detail": r.text[:200]}
    return problem_from(r.status_code, problem if isinstance(problem, dict) else {})
