"""The strict hook reads bodies off the ASGI channel itself: chunked bodies, the size limit, one parse."""

import asyncio
import json

from edge.app import MAX_BODY, create_app

from builders import quote_body


def _post(app, path: str, key: str, chunks: list[bytes]) -> tuple[int, dict]:
    """POST through the real app as an ASGI server would, the body split over several messages."""
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {key}".encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def test_a_body_in_several_messages_is_read_whole(store, store_dir):
    app = create_app(store)
    raw = json.dumps(quote_body()).encode()
    status, out = _post(app, "/api/v1/checkouts/quote", store_dir[1]["lane"], [raw[:7], raw[7:40], raw[40:]])
    assert status == 200, out
    assert out["subtotal_fen"] > 0 and len(out["lines"]) == len(quote_body()["lines"])


def test_a_streamed_body_past_the_limit_is_refused_with_413_without_a_content_length(store, store_dir):
    app = create_app(store)
    chunk = b" " * (64 * 1024)
    status, out = _post(app, "/api/v1/sales", store_dir[1]["lane"], [chunk] * (MAX_BODY // len(chunk) + 1))
    assert status == 413
    assert out["status"] == 413
    assert store.reader.conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0


def test_a_float_is_still_refused_after_the_body_is_read_in_pieces(store, store_dir):
    app = create_app(store)
    body = quote_body()
    body["lines"][0]["qty"] = 1.0
    raw = json.dumps(body).encode()
    status, out = _post(app, "/api/v1/checkouts/quote", store_dir[1]["lane"], [raw[:20], raw[20:]])
    assert status in (400, 422)
    assert "qty" in json.dumps(out)
