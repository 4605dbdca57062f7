"""Standees (立牌) for the store manager: create, list, revoke, and download the printable poster."""

from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ..schemas import StandeeIn, StandeeOut
from ..services import join, posters
from ..services.runtime import StoreRuntime
from .auth import roles
from .deps import StoreDep
from .headers import content_disposition
from .params import PathId

MEDIA = {"png": "image/png", "pdf": "application/pdf"}

Size = Annotated[Literal["a4", "a5", "80mm"], QueryParameter(name="size", description="paper: a4, a5 or 80mm")]


def poster_response(store: StoreRuntime, standee_id: str, size: str, fmt: str) -> Response[bytes]:
    body = posters.standee_poster(store, standee_id, size, fmt)
    disposition = content_disposition("inline", f"standee-{standee_id}-{size}.{fmt}")
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


class StandeeController(Controller):
    path = "/api/v1/standees"
    tags = ["manager"]

    @post("", opt=roles("manager"), status_code=HTTP_201_CREATED,
          responses={200: ResponseSpec(data_container=StandeeOut, description="created before with this standee_id")})
    async def create(self, store: StoreDep, data: JSONBody[StandeeIn]) -> Response[StandeeOut]:
        """Create a standee: 201 new; 200 when the same standee_id and body were sent before."""
        out, created = await join.create_standee(store, data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("", opt=roles("manager"), sync_to_thread=False)
    def list_standees(self, store: StoreDep) -> list[StandeeOut]:
        """Every standee with its scan and join counts."""
        return join.list_standees(store)

    @post("/{standee_id:str}/revoke", opt=roles("manager"), status_code=HTTP_200_OK)
    async def revoke(self, store: StoreDep, standee_id: PathId) -> StandeeOut:
        """Revoke a standee: its QR stops leading to a join (a clear page says so)."""
        return await join.revoke_standee(store, standee_id)

    @get("/{standee_id:str}/poster.png", opt=roles("manager"), sync_to_thread=True, media_type="image/png")
    def poster_png(self, store: StoreDep, standee_id: PathId, size: Size = "a4") -> Response[bytes]:
        """The printable poster as PNG: store name, 扫码入会 领新人券, the QR, a short URL."""
        return poster_response(store, standee_id, size, "png")

    @get("/{standee_id:str}/poster.pdf", opt=roles("manager"), sync_to_thread=True, media_type="application/pdf")
    def poster_pdf(self, store: StoreDep, standee_id: PathId, size: Size = "a4") -> Response[bytes]:
        """The printable poster as a one-page PDF at its paper size."""
        return poster_response(store, standee_id, size, "pdf")
