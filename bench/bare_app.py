"""The floor: a bare Litestar JSON endpoint on the same server stack, measured in the same run."""

import msgspec
from litestar import Litestar, post
from litestar.params import JSONBody


class Ping(msgspec.Struct):
    lane_id: str


@post("/bare", sync_to_thread=False, status_code=200)
def bare(data: JSONBody[Ping]) -> dict:  # noqa: ARG001 - the body is read and parsed, like a real endpoint's
    return {"ok": True}


app = Litestar([bare], logging_config=None)
