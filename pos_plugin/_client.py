"""EdgeClient: one lane's calls to its store's edge, typed, with safe retries."""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import msgspec

from ._errors import EdgeUnavailable, EdgeUnreachable, problem_from
from ._types import Consent, LineIn, MemberSummary, Payment, Quote, Sale

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


class EdgeClient:
    """Calls for one lane. Pass `client` to reuse a connection pool or to swap the transport in tests."""

    def __init__(self, base_url: str, lane_key: str, lane_id: str, cashier_id: str, *,
                 client: httpx.Client | None = None, timeout: float = 3.0, retries: int = 2,
                 backoff: Callable[[int], None] | None = None) -> None:
        self.lane_id = lane_id
        self.cashier_id = cashier_id
        _redact_httpx_logs()  # no phone or payer id reaches the POS's logs through httpx
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)
        self._own_client = client is None
        self._headers = {"Authorization": f"Bearer {lane_key}", "Content-Type": "application/json"}
        self._retries = retries
        # the till cannot wait long: 0.1 s, then 0.2 s, between attempts
        self._backoff = backoff or (lambda attempt: time.sleep(0.1 * 2 ** attempt))

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self) -> "EdgeClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, type_: type[T], *, body: Any = None, params: dict | None = None,
              headers: dict | None = None) -> T:
        """Send, retrying transport failures (every call here is safe to repeat); decode or raise."""
        content = None if body is None else _encode(body)
        for attempt in range(self._retries + 1):
            try:
                r = self._client.request(method, path, content=content, params=params,
                                         headers={**self._headers, **(headers or {})})
            except RETRYABLE as exc:
                if attempt == self._retries:
                    raise EdgeUnreachable(f"{method} {path}: {type(exc).__name__}") from exc
                self._backoff(attempt)
                continue
            if r.status_code != 503:
                break
            # 503: the edge is up but cannot write now (disk full, read-only); nothing was saved
            if attempt == self._retries:
                raise EdgeUnavailable(f"{method} {path}: 503 {r.text[:200]}")
            self._backoff(attempt)
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"title": r.reason_phrase, "detail": r.text[:200]}
            raise problem_from(r.status_code, problem if isinstance(problem, dict) else {})
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
              code: str | None = None, checkout_id: str | None = None, coupon_codes: list[str] | None = None) -> Quote:
        body: dict[str, Any] = {"lane_id": self.lane_id, "cashier_id": self.cashier_id, "lines": lines}
        member = {k: v for k, v in (("member_id", member_id), ("phone", phone), ("code", code)) if v is not None}
        if member:
            body["member"] = member
        if checkout_id:
            body["checkout_id"] = checkout_id
        if coupon_codes:
            body["coupon_codes"] = coupon_codes
        return self._call("POST", "/api/v1/checkouts/quote", Quote, body=body)

    def sale_body(self, sale_id: str, lines: list[LineIn], payment: Payment, *, member_id: str | None = None,
                  checkout_id: str | None = None, coupon_codes: list[str] | None = None) -> dict:
        body: dict[str, Any] = {"sale_id": sale_id, "lane_id": self.lane_id, "cashier_id": self.cashier_id,
                                "lines": lines, "payment": payment}
        if member_id:
            body["member_id"] = member_id
        if checkout_id:
            body["checkout_id"] = checkout_id
        if coupon_codes:
            body["coupon_codes"] = coupon_codes
        return body

    def record_sale(self, sale_id: str, lines: list[LineIn], payment: Payment, **kw: Any) -> Sale:
        """Record a sale; a retry with the same sale_id answers the first answer."""
        return self.post_sale(self.sale_body(sale_id, lines, payment, **kw))

    def post_sale(self, body: dict) -> Sale:
        return self._call("POST", "/api/v1/sales", Sale, body=body)

    def void_sale(self, sale_id: str, reason: str) -> Sale:
        return self._call("POST", f"/api/v1/sales/{sale_id}/void", Sale, body={"reason": reason})
