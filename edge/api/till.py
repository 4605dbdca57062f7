"""What a POS lane calls: catalog, members, quotes, sales and voids."""

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ..schemas import (
    CatalogItemOut,
    EnrolIn,
    EnrolOut,
    MemberSummary,
    QuoteIn,
    QuoteOut,
    SaleIn,
    SaleOut,
    VoidIn,
)
from ..services import checkout, coupons, inventory, members, sales
from .auth import caller, roles
from .deps import StoreDep
from .idempotency import idempotent
from .params import PathId
from .responses import JsonAnswer, answer, problems
from .strict_body import direct, keeps_replays

JSON = "application/json"


class TillController(Controller):
    path = "/api/v1"
    tags = ["till"]

    @get("/catalog", opt=roles("lane", "manager"), sync_to_thread=False, responses=problems())
    def catalog(self, store: StoreDep) -> list[CatalogItemOut]:
        """The store's SKUs with price in fen and stock on hand (null where stock is not counted)."""
        return inventory.catalog_with_stock(store)

    @post("/members", opt=roles("lane"), status_code=HTTP_201_CREATED,
          responses={200: ResponseSpec(data_container=EnrolOut, description="already a member: that member",
                                       generate_examples=False), **problems(400, 413, 422)})
    async def enrol(self, request: Request, store: StoreDep, data: JSONBody[EnrolIn]) -> Response[EnrolOut]:
        """Enrol a member by phone: 201 for a new member, 200 with the existing member at this phone.

        With an Idempotency-Key header a retry answers exactly the first answer (201 stays 201).
        """

        async def run() -> tuple[int, bytes]:
            member, created = await members.enrol(store, data)
            base = members.summary(member, store.reference().tiers)
            out = EnrolOut(**{f: getattr(base, f) for f in MemberSummary.__struct_fields__}, created=created)
            return (HTTP_201_CREATED if created else HTTP_200_OK), msgspec.json.encode(out)

        return await idempotent(request, store, "members", run)

    @get("/members/lookup", opt=roles("lane", "manager"), responses=problems(404, 422))
    async def lookup(
        self, store: StoreDep,
        phone: Annotated[str | None, QueryParameter(name="phone", max_length=40)] = None,
        member_id: Annotated[str | None, QueryParameter(name="member_id", max_length=64)] = None,
        code: Annotated[str | None, QueryParameter(name="code", max_length=200)] = None,
        payer: Annotated[str | None, QueryParameter(name="payer", max_length=200,
                                               description="provider:payer id")] = None,
        payer_scope: Annotated[str, QueryParameter(name="scope", max_length=64)] = "",
    ) -> MemberSummary:
        """Find a member by exactly one of phone, member_id, code or payer; 404 when there is none."""
        found = await members.find_async(store, phone=phone, member_id=member_id, code=code, payer=payer,
                                         scope=payer_scope)
        return coupons.with_coupons(store, members.summary(found, store.reference().tiers))

    @post("/checkouts/quote", opt=direct(roles("lane")), status_code=HTTP_200_OK,
          responses={**answer(HTTP_200_OK, QuoteOut, "The priced cart"), **problems(400, 404, 413, 422)})
    async def quote(self, store: StoreDep, data: JSONBody[QuoteIn]) -> JsonAnswer:
        """Price a cart with the member's tier discount and member-day boost, each explained.

        A member code is accepted once per store: after the first quote, re-quote by member_id.
        """
        member = await members.find_ref_async(store, data.member) if data.member is not None else None
        return JsonAnswer(await checkout.quote(store, data, member))

    @post("/sales", opt=keeps_replays(direct(roles("lane"))), status_code=HTTP_201_CREATED,
          responses={**answer(HTTP_201_CREATED, SaleOut, "The recorded sale (a replay: the first answer)"),
                     **problems(400, 404, 409, 413, 422)})
    async def record_sale(self, store: StoreDep, data: JSONBody[SaleIn]) -> JsonAnswer:
        """Record a sale once per sale_id, at what the till charged (`payment.amount_fen`; the edge's
        price when absent): a replay answers the first answer; another body is 409. Never refused for
        price, stock or caps: differences, offline ring-ups and stock below zero are exceptions.
        A refused request marked `X-Offline-Replay: 1` is kept in the exceptions list."""
        key_id, _ = caller()
        return JsonAnswer(await sales.record_sale(store, data, key_id), HTTP_201_CREATED)

    @get("/sales/{sale_id:str}", opt=roles("lane", "manager"), responses=problems(404))
    async def get_sale(self, store: StoreDep, sale_id: PathId) -> Response[SaleOut]:
        """The sale as recorded: status, lines, totals, the charged amount, receipt data."""
        return Response(sales.sale_as_recorded(store, sale_id), status_code=HTTP_200_OK, media_type=JSON)

    @post("/sales/{sale_id:str}/void", opt=roles("lane", "manager"), status_code=HTTP_200_OK,
          responses=problems(400, 404, 422))
    async def void_sale(self, store: StoreDep, sale_id: PathId, data: JSONBody[VoidIn]) -> Response[SaleOut]:
        """Void a sale: stock and points go back. Voiding again answers the voided sale. A lane voids
        the sales it recorded within the store's void window; later, the manager key."""
        key_id, role = caller()
        body = await sales.void_sale(store, sale_id, data.reason, role, key_id)
        return Response(body, status_code=HTTP_200_OK, media_type=JSON)
