"""What the store manager calls: stock and the join-rate report."""

from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from ..schemas import BulkStockIn, JoinRateOut, StockIn, StockItem, StockOut
from ..services import inventory, reports
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
