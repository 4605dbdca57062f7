"""create_app(store): the one factory. Tests build it on a tmp_path store; `serve` on the real one."""

import logging
import time
from collections.abc import Sequence

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .api.campaigns import CampaignController
from .api.checkouts import CheckoutController
from .api.exceptions import ExceptionController
from .api.health import healthz
from .api.join_offers import JoinOffersController
from .api.log_fields import log_text
from .api.manager import ManagerController
from .api.member_rights import MemberRightsController
from .api.openapi_problems import install as document_problems
from .api.pricebook import PriceBookController
from .api.printing import PrintingController
from .api.problems import HANDLERS
from .api.standees import StandeeController
from .api.strict_body import authorize_and_decode, check_direct_handlers
from .api.till import TillController
from .pages import PAGES, RateLimits
from .plugins import EdgePlugin
from .services.background import beside_app
from .services.keys import KeyVerifier
from .services.printing import start_printing, stop_printing
from .services.runtime import StoreRuntime
from .services.upkeep import start_upkeep, stop_upkeep

MAX_BODY = 256 * 1024  # a cart of 200 lines is ~20 KB; anything near a megabyte is not a POS
access_log = logging.getLogger("store_edge.access")


def access_logger(app: ASGIApp) -> ASGIApp:
    """Log method, path, status and time: every request at INFO, refused ones (4xx/5xx) at WARNING.

    Never the query string: lookups carry phones and payer ids. The path is the request's raw bytes
    (still percent-encoded), escaped: the decoded path can hold a line break a caller put there to
    write log lines of their own. A line costs ~50 us, a third of a quote, so `serve` logs only
    refused requests unless started with --access-log.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.WARNING):
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [0]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            level = logging.WARNING if status[0] >= 400 or status[0] == 0 else logging.INFO
            if access_log.isEnabledFor(level):
                access_log.log(level, "%s %s %d %.1fms", log_text(scope["method"]), _logged_path(scope), status[0],
                               (time.perf_counter() - start) * 1000)

    return middleware


def _logged_path(scope: Scope) -> str:
    raw = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    path = log_text(raw.split(b"?", 1)[0])
    # Join and member pages carry tokens in the path; log the page, not the token.
    for prefix in ("/j/", "/m/"):
        if path.startswith(prefix):
            return prefix + "…"
    return path


def create_app(store: StoreRuntime, plugins: Sequence[EdgePlugin] | None = None) -> Litestar:
    """Build the HTTP app over an open store, with the plugins' routes and loops (by default the ones
    the store was opened with). The caller owns the store and closes it."""
    plugins = store.plugins if plugins is None else plugins
    loops = [beside_app(f"{p.name}.{loop.__name__}", loop) for p in plugins for loop in p.loops]
    app = Litestar(
        route_handlers=[healthz, TillController, ManagerController, CampaignController, StandeeController,
                        CheckoutController, ExceptionController, JoinOffersController, PriceBookController,
                        PrintingController, MemberRightsController, *PAGES,
                        *(h for p in plugins for h in p.route_handlers)],
        on_startup=[start_upkeep, start_printing, *(start for start, _ in loops)],
        on_shutdown=[stop_upkeep, stop_printing, *(stop for _, stop in loops)],
        dependencies={"store": Provide(lambda: store, sync_to_thread=False, use_cache=True)},
        before_request=authorize_and_decode,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            title="store-edge", version=__version__,
            description="Offline-first membership and POS edge service. Money is integer fen; errors are "
                        "application/problem+json; auth is `Authorization: Bearer <key>` with a lane, manager "
                        "or hq key.",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        debug=False,
        logging_config=None,  # logging is the process's to set (cli.py), not a per-app stderr handler
    )
    check_direct_handlers(app)
    document_problems(app)
    # Around the whole app rather than as Litestar middleware: route middleware is built into every
    # route's stack with an exception layer of its own (~6 us a quote); outside, once, it sees the
    # same status, since Litestar's own exception layer sits inside it.
    app.asgi_handler = access_logger(app.asgi_handler)
    app.state.store = store
    app.state.key_verifier = KeyVerifier(lambda: store.reader.conn)
    app.state.rate_limits = RateLimits()  # public pages: per address and per phone, in memory
    return app
