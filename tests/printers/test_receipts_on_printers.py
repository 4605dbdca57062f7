"""Receipts through the real app to a fake printer on a 127.0.0.1 port: the QR on paper leads to a
join that credits the sale; bad printers never hold up a sale and their jobs end failed, listed for
the manager, reprintable."""

import asyncio
import io
import threading

import msgspec
import pytest
import zxingcpp
from join_helpers import csrf_of, join_by_form, path_of
from litestar.testing import TestClient
from PIL import Image

from edge.app import create_app
from edge.schemas import SaleIn
from edge.services import printing
from edge.services.runtime import StoreRuntime
from edge.services.sales import record_sale
from edge.store import print_jobs

from builders import enrol_body, sale_body
from escpos_stream import parse
from fake_printer import FakePrinter
from print_helpers import add_printer, sign_in, wait_until
from support import Api


def jobs_of(api, sale_id: str) -> list[dict]:  # noqa: ANN001
    return api.get(f"/api/v1/sales/{sale_id}/print-jobs").json()


def finished(api, sale_id: str, count: int = 1) -> bool:  # noqa: ANN001
    jobs = jobs_of(api, sale_id)
    return len(jobs) >= count and all(j["status"] in ("done", "failed") for j in jobs)


@pytest.fixture
def printer():
    with FakePrinter("good") as p:
        yield p


@pytest.mark.parametrize("width", [58, 80])
def test_a_guests_receipt_prints_a_qr_that_joins_and_credits_the_sale(api, store, printer, width: int) -> None:
    add_printer(store, printer.url(timeout=5), width_mm=width)
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 2), sale_id="L1-1")).json()
    assert printer.wait_for(lambda p: len(p.jobs) == 1)
    assert wait_until(lambda: finished(api, "L1-1"))
    assert [j["status"] for j in jobs_of(api, "L1-1")] == ["done"]

    paper = parse(printer.jobs[0])
    assert paper.chinese_mode and paper.status_requests == [1, 4, 1, 4]
    assert paper.qrs == [sale["receipt"]["join"]["url"]]
    assert "扫码入会 本单56积分立即到账" in paper.texts  # 2 lattes, 56.00 paid, entry tier: 56 points
    assert any(t.startswith("L1-1") or t.endswith("L1-1") for t in paper.texts)
    assert any("拿铁" in t for t in paper.texts) and any("56.00" in t for t in paper.texts)

    assert join_by_form(api.client, paper.qrs[0]).status_code == 303
    member = api.get("/api/v1/members/lookup", params={"phone": "13800138000"}).json()
    assert member["points_balance"] == 56 and member["join_source"] == "receipt"  # what the paper promised


def test_a_raster_printer_gets_pictures_and_its_qr_decodes_to_the_join_url(api, store, printer) -> None:
    add_printer(store, printer.url(timeout=5), width_mm=58, mode="raster", qr="raster")
    sale = api.post("/api/v1/sales", json=sale_body(("CROISSANT", 1), sale_id="L1-2")).json()
    assert printer.wait_for(lambda p: len(p.jobs) == 1)
    paper = parse(printer.jobs[0])
    assert not paper.texts and not paper.qrs and not paper.chinese_mode
    found = [r.text for im in paper.images for r in zxingcpp.read_barcodes(im.convert("L"))]
    assert found == [sale["receipt"]["join"]["url"]]
    assert all(im.width == 384 for im in paper.images)


def test_a_members_receipt_shows_masked_phone_tier_and_points_and_a_link_to_their_page_not_a_join_qr(
        api, store, printer) -> None:
    add_printer(store, printer.url(timeout=5))
    member = api.post("/api/v1/members", json=enrol_body("13900139000")).json()
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="L1-3", member_id=member["member_id"]))
    assert printer.wait_for(lambda p: len(p.jobs) == 1)
    paper = parse(printer.jobs[0])
    link = sale.json()["receipt"]["member_page"]["url"]
    assert paper.qrs == [link] and "/m/open/" in link and sale.json()["receipt"]["join"] is None
    text = "\n".join(paper.texts)
    assert "139****9000" in text and "13900139000" not in text
    assert "本单积分 Points earned" in text and "积分余额 Balance" in text


def test_a_lane_without_a_printer_queues_nothing_and_printing_it_says_why(api, store, printer) -> None:
    add_printer(store, printer.url(timeout=5), lanes=("L2",))
    api.post("/api/v1/sales", json=sale_body(sale_id="L1-4"))
    assert jobs_of(api, "L1-4") == []
    answer = api.post("/api/v1/sales/L1-4/print")
    assert answer.status_code == 409 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "sale_id"
    assert api.post("/api/v1/sales/L1-4/print", params={"lane_id": "L2"}).status_code == 202
    assert api.post("/api/v1/sales/nope/print").status_code == 404


def test_a_second_copy_says_reprint(api, store, printer) -> None:
    add_printer(store, printer.url(timeout=5))
    api.post("/api/v1/sales", json=sale_body(sale_id="L1-5"))
    assert wait_until(lambda: finished(api, "L1-5"))
    again = api.post("/api/v1/sales/L1-5/print")
    assert again.status_code == 202 and again.json()["reprint"] is True
    assert printer.wait_for(lambda p: len(p.jobs) == 2)
    first, second = (parse(job).texts for job in printer.jobs)
    assert "重印 REPRINT" in second and "重印 REPRINT" not in first


def test_a_void_prints_a_void_slip(api, store, printer) -> None:
    add_printer(store, printer.url(timeout=5))
    api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="L1-6"))
    assert printer.wait_for(lambda p: len(p.jobs) == 1)
    assert api.post("/api/v1/sales/L1-6/void", json={"reason": "顾客退货"}).status_code == 200
    assert printer.wait_for(lambda p: len(p.jobs) == 2)
    slip = parse(printer.jobs[1]).texts
    assert "已作废 VOIDED" in slip and any("顾客退货" in t for t in slip) and any("28.00" in t for t in slip)


def test_a_job_queued_before_a_crash_prints_after_the_restart(store_dir, clock, printer) -> None:
    """The receipt is queued in the sale's own transaction: with no app (no worker) running, the job
    is already on disk; the next start prints it."""
    store = StoreRuntime(store_dir[0], clock=clock)
    try:
        add_printer(store, printer.url(timeout=5))
        asyncio.run(record_sale(store, msgspec.convert(sale_body(sale_id="L1-7"), SaleIn)))
        assert [j.status for j in print_jobs.jobs(store.reader.conn, subject="L1-7")] == ["pending"]
        assert printer.jobs == []
    finally:
        store.close()
    store = StoreRuntime(store_dir[0], clock=clock)
    try:
        with TestClient(create_app(store)) as client:
            api = Api(client, store_dir[1])
            assert printer.wait_for(lambda p: len(p.jobs) == 1)
            assert wait_until(lambda: finished(api, "L1-7"))
    finally:
        store.close()


@pytest.mark.parametrize("behaviour", ["never_reads", "close_halfway", "refuses"])
def test_a_bad_printer_never_holds_up_a_sale_and_its_jobs_end_failed_then_reprint(api, store, monkeypatch,
                                                                                   behaviour: str) -> None:
    monkeypatch.setattr(printing, "RETRY_DELAYS", (0.0,))  # one retry, at once
    gate = threading.Event()
    with FakePrinter(behaviour, halfway_bytes=200, gate=gate) as bad:
        add_printer(store, bad.url(timeout=2))
        assert api.post("/api/v1/sales", json=sale_body(("LATTE", 2), sale_id="L1-8")).status_code == 201
        if behaviour != "refuses":
            # the printer now holds the worker's connection, mid-job; a sale must still answer at once
            assert bad.wait_for(lambda p: p.held >= 1)
            second = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="L1-9"))
            assert second.status_code == 201
            # answered while the printer still held the first job: its first attempt has not ended
            assert bad.held >= 1 and jobs_of(api, "L1-8")[0]["attempts"] == 0
            gate.set()
        else:
            assert api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id="L1-9")).status_code == 201
        assert wait_until(lambda: finished(api, "L1-8") and finished(api, "L1-9"))

    failed = api.get("/api/v1/print-jobs", role="manager").json()
    assert sorted(j["subject"] for j in failed) == ["L1-8", "L1-9"]
    assert all(j["status"] == "failed" and j["attempts"] == 2 and j["last_error"] for j in failed)

    # the printer is fixed (same name, a good one now): the manager reprints from the list
    printing.remove_printer(store, "front")
    with FakePrinter("good") as good:
        add_printer(store, good.url(timeout=5))
        job_id = next(j["job_id"] for j in failed if j["subject"] == "L1-8")
        again = api.post(f"/api/v1/print-jobs/{job_id}/reprint", role="manager")
        assert again.status_code == 202 and again.json()["reprint"] is False  # no copy ever came out
        assert good.wait_for(lambda p: len(p.jobs) == 1)
        assert parse(good.jobs[0]).qrs  # the whole receipt, its join QR included
        assert wait_until(lambda: [j["status"] for j in jobs_of(api, "L1-8")] == ["done", "resolved"])
    assert [j["subject"] for j in api.get("/api/v1/print-jobs", role="manager").json()] == ["L1-9"]
    assert api.post(f"/api/v1/print-jobs/{job_id}/reprint", role="manager").status_code == 409
    assert api.post("/api/v1/print-jobs/99999/reprint", role="manager").status_code == 404
    assert api.get("/api/v1/print-jobs").status_code == 403  # a lane key


def test_the_manager_page_lists_failed_prints_with_a_reprint_button(api, store, monkeypatch) -> None:
    monkeypatch.setattr(printing, "RETRY_DELAYS", ())
    with FakePrinter("refuses") as bad:
        add_printer(store, bad.url(timeout=1))
        api.post("/api/v1/sales", json=sale_body(sale_id="L1-10"))
        assert wait_until(lambda: finished(api, "L1-10"))
    sign_in(api, "manager", "/manager")
    page = api.client.get("/manager")
    assert 'id="failed-prints"' in page.text and "L1-10" in page.text and "refused the connection" in page.text
    job_id = api.get("/api/v1/print-jobs", role="manager").json()[0]["job_id"]
    assert f'action="/manager/print-jobs/{job_id}/reprint"' in page.text
    answer = api.client.post(f"/manager/print-jobs/{job_id}/reprint", data={"csrf": csrf_of(page.text)},
                             follow_redirects=False)
    assert answer.status_code in (302, 303)
    statuses = [j["status"] for j in jobs_of(api, "L1-10")]
    assert statuses[-1] == "resolved" and len(statuses) == 2  # the failed one left the list; a new one queued


def test_a_failed_print_is_on_the_exceptions_list_until_it_is_reprinted(api, store, monkeypatch) -> None:
    monkeypatch.setattr(printing, "RETRY_DELAYS", ())
    with FakePrinter("refuses") as bad:
        add_printer(store, bad.url(timeout=1))
        api.post("/api/v1/sales", json=sale_body(sale_id="L1-11"))
        assert wait_until(lambda: finished(api, "L1-11"))
    listed = api.get("/api/v1/exceptions", role="manager", params={"kind": "print_failed"}).json()["exceptions"]
    assert [(e["sale_id"], e["status"]) for e in listed] == [("L1-11", "open")]
    assert "did not print" in listed[0]["reason"] and listed[0]["error"]
    job_id = api.get("/api/v1/print-jobs", role="manager").json()[0]["job_id"]
    assert api.post(f"/api/v1/print-jobs/{job_id}/reprint", role="manager").status_code == 202
    assert wait_until(lambda: sorted(j["status"] for j in jobs_of(api, "L1-11")) == ["failed", "resolved"])
    listed = api.get("/api/v1/exceptions", role="manager", params={"kind": "print_failed"}).json()["exceptions"]
    # the printer is still off: the first failure is resolved by the reprint, the reprint's own failure is new
    assert sorted((e["exception_id"], e["status"], e["resolved_note"]) for e in listed) == [
        (f"print-{job_id}", "resolved", "reprinted"), (f"print-{job_id + 1}", "open", None)]


@pytest.mark.parametrize(("width", "dots"), [(58, 384), (80, 576)])
def test_the_receipt_preview_is_the_printed_layout_and_its_qr_scans(api, width: int, dots: int) -> None:
    sale = api.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id=f"L1-P{width}")).json()
    png = api.get(f"/api/v1/sales/L1-P{width}/receipt.png", params={"width": width})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.width == dots
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [sale["receipt"]["join"]["url"]]


def test_the_receipt_preview_refuses_other_widths_and_unknown_sales(api) -> None:
    api.post("/api/v1/sales", json=sale_body(sale_id="L1-11"))
    bad = api.get("/api/v1/sales/L1-11/receipt.png", params={"width": 70})
    assert bad.status_code in (400, 422) and bad.headers["content-type"] == "application/problem+json"
    assert "width" in bad.text
    assert api.get("/api/v1/sales/nope/receipt.png").status_code == 404
    assert api.get("/api/v1/sales/L1-11/receipt.png", role=None).status_code == 401


def test_follow_the_qr_url_as_printed(api, store, printer) -> None:
    """The URL on paper is exactly the one the app serves: its path opens the join page."""
    add_printer(store, printer.url(timeout=5))
    api.post("/api/v1/sales", json=sale_body(sale_id="L1-12"))
    assert printer.wait_for(lambda p: len(p.jobs) == 1)
    page = api.client.get(path_of(parse(printer.jobs[0]).qrs[0]))
    assert page.status_code == 200 and "加入会员" in page.text


def test_a_stuck_printer_never_keeps_another_printers_receipts_waiting(api, store, printer) -> None:
    with FakePrinter("never_reads") as stuck:
        add_printer(store, stuck.url(timeout=10), name="stuck", lanes=("L2",))
        add_printer(store, printer.url(timeout=5), name="front", lanes=("L1",))
        for n in range(3):  # older jobs, all on the stuck printer
            api.post("/api/v1/sales", json=sale_body(sale_id=f"L2-{n}", lane_id="L2"))
        assert stuck.wait_for(lambda p: p.connections >= 1)
        api.post("/api/v1/sales", json=sale_body(sale_id="L1-20"))
        assert printer.wait_for(lambda p: len(p.jobs) == 1)  # while the stuck printer still holds its first job
        assert stuck.held >= 1 and jobs_of(api, "L2-0")[0]["attempts"] == 0


def test_a_printer_that_is_off_fails_its_whole_queue_together(api, store, monkeypatch) -> None:
    monkeypatch.setattr(printing, "RETRY_DELAYS", (0.0, 0.0))
    with FakePrinter("refuses") as off:
        add_printer(store, off.url(timeout=1))
        for n in range(4):
            api.post("/api/v1/sales", json=sale_body(sale_id=f"L1-3{n}"))
        assert wait_until(lambda: len(api.get("/api/v1/print-jobs", role="manager").json()) == 4)
    failed = api.get("/api/v1/print-jobs", role="manager").json()
    assert {j["attempts"] for j in failed} <= {1, 2, 3} and all("refused" in j["last_error"] for j in failed)
