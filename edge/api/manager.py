"""What the store manager calls: stock, the join-rate report, the membership terms and privacy policy."""

from typing import Annotated, Literal

from litestar import Controller, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ..schemas import BulkStockIn, JoinRateOut, PolicyIn, PolicyOut, StockIn, StockItem, StockOut
from ..services import inventory, policies, reports
from .auth import roles
from .deps import StoreDep
from .params import PathId
from .responses import problems


class ManagerController(Controller):
    path = "/api/v1"
    tags = ["manager"]

    @put("/inventory/{sku:str}", opt=roles("manager"), status_code=HTTP_200_OK, responses=problems(400, 422))
    async def set_one(self, store: StoreDep, sku: PathId, data: JSONBody[StockIn]) -> StockOut:
        """Set the stock on hand of one SKU."""
        return (await inventory.set_stock(store, [StockItem(sku, data.on_hand)], field=""))[0]

    @post("/inventory", opt=roles("manager"), status_code=HTTP_200_OK, responses=problems(400, 413, 422))
    async def set_many(self, store: StoreDep, data: JSONBody[BulkStockIn]) -> list[StockOut]:
        """Set stock for many SKUs at once: all of them, or none when any is wrong."""
        return await inventory.set_stock(store, data.items)

    @get("/reports/join-rate", opt=roles("manager"), sync_to_thread=False, responses=problems(422))
    def join_rate(
        self, store: StoreDep,
        from_: Annotated[str | None, QueryParameter(name="from", description="first business day, YYYY-MM-DD")] = None,
        to: Annotated[str | None, QueryParameter(name="to", description="last business day, YYYY-MM-DD")] = None,
        by: Annotated[Literal["day", "lane", "cashier", "source"], QueryParameter(name="by")] = "day",
    ) -> JoinRateOut:
        """The non-member join rate over business days, grouped by day, lane, cashier or join source."""
        return reports.join_rate_report(store, from_, to, by)

    @get("/policies", opt=roles("manager"), sync_to_thread=False)
    def policy(self, store: StoreDep) -> PolicyOut:
        """The membership terms and privacy policy in force, as the join page links them."""
        return policies.current(store)

    @post("/policies", opt=roles("manager"), status_code=HTTP_201_CREATED,
          responses={200: ResponseSpec(data_container=PolicyOut, description="this version was already published",
                                       generate_examples=False), **problems(409, 422)})
    async def publish_policy(self, store: StoreDep, data: JSONBody[PolicyIn]) -> Response[PolicyOut]:
        """Publish a new version of the terms and privacy policy (texts left out: the default template).
        New joins accept it and record its version; a published version never changes (409)."""
        out, created = await policies.publish(store, data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)
