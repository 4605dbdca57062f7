"""An open checkout as the lane sees it: its last quote and, once the customer joined, the member."""

from litestar import Controller, delete, get
from litestar.status_codes import HTTP_200_OK

from ..schemas import CheckoutCancelled, CheckoutOut
from ..services import join, price_lock
from .auth import roles
from .deps import StoreDep
from .params import PathId
from .responses import problems


class CheckoutController(Controller):
    path = "/api/v1/checkouts"
    tags = ["till"]

    @get("/{checkout_id:str}", opt=roles("lane", "manager"), sync_to_thread=False)
    def get_checkout(self, store: StoreDep, checkout_id: PathId) -> CheckoutOut:
        """The checkout with the member who joined through its QR; re-quote to apply member pricing."""
        return join.checkout_view(store, checkout_id)

    @delete("/{checkout_id:str}", opt=roles("lane", "manager"), status_code=HTTP_200_OK, responses=problems(409))
    async def cancel_checkout(self, store: StoreDep, checkout_id: PathId) -> CheckoutCancelled:
        """Cancel an open checkout: its price lock ends and what it reserved goes back (cancelling
        again releases nothing more). A paid checkout is 409: void its sale instead."""
        released = await price_lock.cancel(store, checkout_id)
        return CheckoutCancelled(checkout_id=checkout_id, status="cancelled", released=released)
