"""Small fakes for the till's tests: a clock, a network cable that can be cut, and an edge that takes
offline sales as the wire says (for the journal's own behaviour: order, replay header, backoff)."""

import threading
from datetime import UTC, datetime, timedelta

import httpx
import msgspec


class TillClock:
    def __init__(self, now: datetime = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


class Cable(httpx.BaseTransport):
    """A real HTTP transport to the edge with a switch: `cut = True` and every request fails to connect."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.cut = False
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            raise httpx.ConnectError("cable cut", request=request)
        self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def sale_answer(body: dict) -> dict:
    """What the edge answers for a recorded sale, with the fields the client decodes."""
    charged = body["payment"].get("amount_fen") or 0
    return {"sale_id": body["sale_id"], "status": "completed", "checkout_id": body.get("checkout_id"), "member": None,
            "lines": [], "subtotal_fen": charged, "discount_fen": 0, "total_fen": charged, "applied": [],
            "points_earned": 0, "payment": {"method": body["payment"]["method"], "provider": None,
                                            "amount_fen": charged, "payer_linked": False, "recognised_member": False},
            "receipt": {"store_id": "s", "store_name": "S", "business_day": "2026-11-24"},
            "created_at": "2026-11-24T02:00:00.000Z", "offline": body.get("offline", False),
            "rung_up_at": body.get("rung_up_at")}


class FakeEdge:
    """Records sales once per sale_id. `down`: nothing answers. `lose_answers`: records the sale, then
    the answer is lost on the way back. `refuse`: sale ids answered 422. `old`: answers like an edge
    that predates offline sales. `busy`: answers 503."""

    def __init__(self) -> None:
        self.down = self.lose_answers = self.old = self.busy = False
        self.refuse: set[str] = set()
        self.sales: dict[str, dict] = {}
        self.posts: list[tuple[str, dict, str | None]] = []  # (sale_id, body, X-Offline-Replay)
        self.gets: list[str] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        path = request.url.path
        if request.method == "GET" and path.startswith("/api/v1/sales/"):
            sale_id = path.rsplit("/", 1)[1]
            self.gets.append(sale_id)
            if sale_id in self.sales:
                return httpx.Response(200, json=sale_answer(self.sales[sale_id]))
            return httpx.Response(404, json={"type": "about:blank", "title": "Not found", "status": 404,
                                             "detail": "no such sale"})
        if request.method == "POST" and path == "/api/v1/sales":
            body = msgspec.json.decode(request.content)
            self.posts.append((body["sale_id"], body, request.headers.get("x-offline-replay")))
            if self.busy:
                return httpx.Response(503, json={"title": "Busy", "status": 503, "detail": "try later"})
            if self.old and "offline" in body:
                reason = "Object contains unknown field `offline`"
                return httpx.Response(422, json={"title": "Invalid input", "status": 422, "detail": reason,
                                                 "errors": [{"field": "offline", "reason": reason}]})
            if body["sale_id"] in self.refuse:
                return httpx.Response(422, json={"title": "Invalid input", "status": 422,
                                                 "detail": "lines[0].sku: unknown SKU",
                                                 "errors": [{"field": "lines[0].sku", "reason": "unknown SKU"}]})
            self.sales.setdefault(body["sale_id"], body)
            if self.lose_answers:
                raise httpx.ReadTimeout("answer lost", request=request)
            return httpx.Response(201, json=sale_answer(self.sales[body["sale_id"]]))
        return httpx.Response(404, json={"title": "Not found", "status": 404, "detail": path})
