"""Printing over HTTP: a lane prints or reprints a sale's receipt and shows its preview; the manager
lists failed print jobs and reprints them; coupon slips and standee posters go to a printer."""

from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from msgspec import Struct

from ..domain.text import ID_PATTERN
from ..services import printing
from ..store.print_jobs import JobRow
from .auth import roles
from .deps import StoreDep
from .params import PathId, PathSeq
from .responses import problems

LaneQuery = Annotated[str | None, QueryParameter(name="lane_id", max_length=64, pattern=ID_PATTERN,
                                                 description="the lane whose printer prints (default: the sale's)")]


class PrintJobOut(Struct, kw_only=True):
    job_id: int
    printer: str
    kind: str
    subject: str  # the sale id, coupon code or standee id printed
    lane_id: str | None
    reprint: bool  # printed with 重印 REPRINT: a copy of this came out before
    status: Literal["pending", "done", "failed", "resolved"]
    attempts: int
    last_error: str | None
    note: str | None  # e.g. "paper near end"
    created_at: str
    finished_at: str | None


def job_out(job: JobRow) -> PrintJobOut:
    return PrintJobOut(job_id=job.job_id, printer=job.printer, kind=job.kind, subject=job.subject,
                       lane_id=job.lane_id, reprint=job.reprint, status=job.status,  # type: ignore[arg-type]
                       attempts=job.attempts, last_error=job.last_error, note=job.note, created_at=job.created_at,
                       finished_at=job.finished_at)


class PrintingController(Controller):
    path = "/api/v1"
    tags = ["printing"]

    @post("/sales/{sale_id:str}/print", opt=roles("lane", "manager"), status_code=HTTP_202_ACCEPTED,
          responses=problems(404, 409, 422))
    async def print_sale(self, store: StoreDep, sale_id: PathId, lane_id: LaneQuery = None) -> PrintJobOut:
        """Queue the sale's receipt on the lane's printer (202); a second copy says 重印 REPRINT.
        409 when the lane has no printer."""
        return job_out(await printing.print_sale(store, sale_id, lane_id))

    @get("/sales/{sale_id:str}/receipt.png", opt=roles("lane", "manager"), sync_to_thread=True,
         media_type="image/png", responses=problems(404, 422))
    def receipt_png(self, store: StoreDep, sale_id: PathId,
                    width: Annotated[Literal[58, 80], QueryParameter(name="width")] = 80) -> Response[bytes]:
        """The receipt as the printer prints it, a PNG one pixel per dot (58 mm: 384 wide, 80 mm: 576)."""
        return Response(printing.receipt_png(store, sale_id, width), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @get("/sales/{sale_id:str}/print-jobs", opt=roles("lane", "manager"), sync_to_thread=False)
    def sale_jobs(self, store: StoreDep, sale_id: PathId) -> list[PrintJobOut]:
        """The print jobs of a sale (receipt, reprints, void slip), newest first."""
        return [job_out(j) for j in printing.jobs_of_sale(store, sale_id)]

    @get("/print-jobs", opt=roles("manager"), sync_to_thread=False)
    def failed_jobs(self, store: StoreDep) -> list[PrintJobOut]:
        """Print jobs that failed for good (printer off, out of paper, unreachable): reprint or dismiss."""
        return [job_out(j) for j in printing.failed_jobs(store)]

    @post("/print-jobs/{job_id:int}/reprint", opt=roles("manager"), status_code=HTTP_202_ACCEPTED,
          responses=problems(404, 409))
    async def reprint(self, store: StoreDep, job_id: PathSeq) -> PrintJobOut:
        """Queue a failed job again on its printer; the failed one leaves the list."""
        return job_out(await printing.reprint_job(store, job_id))

    @post("/coupons/{code:str}/print", opt=roles("lane"), status_code=HTTP_202_ACCEPTED,
          responses=problems(404, 409, 422))
    async def print_coupon(self, store: StoreDep, code: PathId,
                           lane_id: Annotated[str, QueryParameter(name="lane_id", max_length=64,
                                                                  pattern=ID_PATTERN)]) -> PrintJobOut:
        """Queue a coupon slip (code, QR, conditions, expiry) on the lane's printer."""
        return job_out(await printing.print_coupon(store, code, lane_id))

    @post("/standees/{standee_id:str}/print", opt=roles("manager"), status_code=HTTP_202_ACCEPTED,
          responses=problems(404, 422))
    async def print_poster(self, store: StoreDep, standee_id: PathId,
                           printer: Annotated[str, QueryParameter(name="printer", max_length=40)]) -> PrintJobOut:
        """Queue the standee's poster on a receipt printer (80 mm: the poster picture)."""
        return job_out(await printing.print_poster(store, standee_id, printer))
