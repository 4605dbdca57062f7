"""The lane's price book: what a till needs to keep selling while the edge cannot answer."""

from typing import Annotated

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from ..services.pricebook import PriceBookOut, price_book
from .auth import roles
from .deps import StoreDep
from .responses import problems

JSON = "application/json"


class PriceBookController(Controller):
    path = "/api/v1"
    tags = ["till"]

    @get("/pricebook", opt=roles("lane", "manager"), sync_to_thread=True, media_type=JSON,
         responses={200: ResponseSpec(data_container=PriceBookOut, description="The price book; its version is "
                                      "the ETag", generate_examples=False),
                    304: ResponseSpec(data_container=None, description="The till's copy is current"),
                    **problems()})
    def pricebook(self, store: StoreDep,
                  if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=200)] = None,
                  ) -> Response[bytes]:
        """Catalog, tiers, member-day rules and recently seen members (by phone hash) for offline pricing.

        Send the version back as If-None-Match: 304 while nothing changed. Built in a worker thread:
        a rebuild reads and hashes up to a few thousand members.
        """
        version, body = price_book(store)
        etag = f'"{version}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, status_code=200, headers=headers, media_type=JSON)
