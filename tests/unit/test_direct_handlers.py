"""`direct` handlers: the before_request hook calls them with (store, data) and Litestar skips
resolving their kwargs; a handler that takes anything else stops the app at startup."""

import asyncio
import json

import msgspec
import pytest
from litestar import Litestar, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.params import FromQuery, JSONBody, URLEncodedBody

from edge.api.responses import JsonAnswer
from edge.api.strict_body import authorize_and_decode, check_direct_handlers, direct


class Ping(msgspec.Struct):
    qty: int


calls: list[tuple] = []


@post("/direct", opt=direct({}), status_code=200)
async def direct_ping(store: NamedDependency[str], data: JSONBody[Ping]) -> JsonAnswer:
    calls.append((store, data))
    return JsonAnswer({"qty": data.qty, "store": store})


@post("/wrong", opt=direct({}), status_code=200)
async def wrong(store: NamedDependency[str], data: JSONBody[Ping], extra: FromQuery[int] = 0) -> JsonAnswer:
    return JsonAnswer({})


@post("/form", opt=direct({}), status_code=200)
async def form(store: NamedDependency[str], data: URLEncodedBody[dict]) -> JsonAnswer:  # not a JSON body
    return JsonAnswer({})


def _app(*handlers) -> Litestar:
    # Litestar's own provider answers something else: a direct call must not go through it
    app = Litestar(list(handlers), before_request=authorize_and_decode, logging_config=None,
                   dependencies={"store": Provide(lambda: "litestar's", sync_to_thread=False)})
    app.state.store = "the-store"
    return app


def _post(app: Litestar, path: str, body: bytes) -> tuple[int, dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80), "state": {}}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def test_a_direct_handler_gets_the_store_and_the_strictly_decoded_struct():
    calls.clear()
    app = _app(direct_ping)
    check_direct_handlers(app)
    assert _post(app, "/direct", b'{"qty": 3}') == (200, {"qty": 3, "store": "the-store"})
    assert calls == [("the-store", Ping(qty=3))]
    status, _ = _post(app, "/direct", b'{"qty": 3.0}')  # still strict: a float is not a quantity
    assert status == 400 and len(calls) == 1


def test_a_direct_handler_taking_more_than_store_and_data_or_no_json_body_stops_the_app():
    with pytest.raises(ImproperlyConfiguredException, match="wrong"):
        check_direct_handlers(_app(direct_ping, wrong))
    with pytest.raises(ImproperlyConfiguredException, match="form"):
        check_direct_handlers(_app(direct_ping, form))


def test_the_till_hot_handlers_are_direct(store):
    from edge.app import create_app
    app = create_app(store)
    hot = {route.path for route in app.routes for h in getattr(route, "route_handlers", ()) if h.opt.get("direct")}
    assert hot == {"/api/v1/checkouts/quote", "/api/v1/sales"}
