"""An open checkout as the lane sees it: its last quote and, once the customer joined, the member."""

from litestar import Controller, delete, get
from litestar.status_codes import HTTP_200_OK

from ..schemas import CheckoutCancelled, CheckoutOut
from ..services import open_checkouts
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
        return open_checkouts.view(store, checkout_id)

    @delete("/{checkout_id:str}", opt=roles("lane", "manager"), status_code=HTTP_200_OK, responses=problems(404, 409))
    async def cancel_checkout(self, store: StoreDep, checkout_id: PathId) -> CheckoutCancelled:
        """Cancel a checkout: its price lock ends and what it reserved goes back (cancelling again
        releases nothing more), its join QR leads to no join and the display goes idle. A paid
        checkout is 409: void its sale instead."""
        released = await open_checkouts.cancel(store, checkout_id)
        return CheckoutCancelled(checkout_id=checkout_id, status="cancelled", released=released)
