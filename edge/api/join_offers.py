"""The store's join offers for the manager: which welcome campaign a checkout join brings."""

from litestar import Controller, get, put
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from ..schemas import JoinOffersIn, JoinOffersOut
from ..services import join_offers
from .auth import roles
from .deps import StoreDep
from .responses import problems


class JoinOffersController(Controller):
    path = "/api/v1/join-offers"
    tags = ["manager"]

    @get("", opt=roles("manager", "lane"), sync_to_thread=False)
    def show(self, store: StoreDep) -> JoinOffersOut:
        """The welcome campaign a checkout join (display QR or cashier enrolment with a checkout) brings."""
        return join_offers.out(store)

    @put("", opt=roles("manager"), status_code=HTTP_200_OK, responses=problems(400, 422))
    async def save(self, store: StoreDep, data: JSONBody[JoinOffersIn]) -> JoinOffersOut:
        """Set it (null: checkout joins bring no coupon). The quote's pitch and the display follow at once."""
        return await join_offers.save(store, data)
