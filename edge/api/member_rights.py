"""A member's rights through the staff: a link that opens their own page, and an erasure recorded in person."""

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ..schemas import ErasureRequestIn, JoinOffer
from ..services import member_links, member_rights
from .auth import roles
from .deps import StoreDep
from .params import PathId
from .responses import problems


class MemberRightsController(Controller):
    path = "/api/v1/members/{member_id:str}"
    tags = ["members"]

    @post("/page-link", opt=roles("lane", "manager"), status_code=HTTP_201_CREATED, sync_to_thread=False,
          responses=problems(404))
    def page_link(self, store: StoreDep, member_id: PathId) -> JoinOffer:
        """A single-use QR (5 minutes) that opens this member's own page on their phone: show it on the
        till once the cashier identified them; there they can download or delete their data."""
        return member_links.till_link(store, member_id)

    @post("/erasure", opt=roles("manager"), status_code=HTTP_200_OK, responses=problems(404, 422))
    async def erasure(self, request: Request, store: StoreDep, member_id: PathId,
                      data: JSONBody[ErasureRequestIn]) -> member_rights.ErasureRequest:
        """Record a member's erasure request made in person (reason, who recorded it, when, with which key)
        and erase them now; the answer says what happens next, to read to the member."""
        return await member_rights.record_erasure_request(store, member_id, data.reason, data.requested_via,
                                                          data.recorded_by, request.scope["state"]["key_id"])
