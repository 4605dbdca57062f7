"""The manager's exceptions list: price differences, offline sales, stock below zero, refused replays."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from ..schemas import ExceptionOut, ExceptionsOut, ResolveIn
from ..services import exceptions
from .auth import roles
from .deps import StoreDep
from .params import PathId
from .responses import problems


class ExceptionController(Controller):
    path = "/api/v1/exceptions"
    tags = ["manager"]

    @get("", opt=roles("manager"), sync_to_thread=False, responses=problems(422))
    def list_exceptions(
        self, store: StoreDep,
        kind: Annotated[str | None, QueryParameter(name="kind", max_length=40, pattern=r"\A[a-z_]+\Z",
                                                   description="price, offline, stock_below_zero, "
                                                               "replay_refused, ...")] = None,
        open_: Annotated[bool | None, QueryParameter(name="open", description="true: open only; "
                                                     "false: resolved only")] = None,
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=500)] = 100,
        before: Annotated[str | None, QueryParameter(name="before", max_length=64,
                                                     description="page on: the last exception_id seen")] = None,
    ) -> ExceptionsOut:
        """Exceptions, newest first, with the number still open."""
        return exceptions.list_exceptions(store, kind, open_, limit, before)

    @post("/{exception_id:str}/resolve", opt=roles("manager"), status_code=HTTP_200_OK,
          responses=problems(404, 422))
    async def resolve(self, store: StoreDep, exception_id: PathId, data: JSONBody[ResolveIn]) -> ExceptionOut:
        """Resolve an exception with a note (what was done about it); resolving again keeps the first."""
        return await exceptions.resolve(store, exception_id, data.note)
