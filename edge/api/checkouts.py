"""An open checkout as the lane sees it: its last quote and, once the customer joined, the member."""

from litestar import Controller, get

from ..schemas import CheckoutOut
from ..services import join
from .auth import roles
from .deps import StoreDep
from .params import PathId


class CheckoutController(Controller):
    path = "/api/v1/checkouts"
    tags = ["till"]

    @get("/{checkout_id:str}", opt=roles("lane", "manager"), sync_to_thread=False)
    def get_checkout(self, store: StoreDep, checkout_id: PathId) -> CheckoutOut:
        """The checkout with the member who joined through its QR; re-quote to apply member pricing."""
        return join.checkout_view(store, checkout_id)
