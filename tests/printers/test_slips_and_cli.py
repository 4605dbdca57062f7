"""Coupon slips and standee posters on receipt printers, and `store-edge printers ...`."""

import io
import subprocess
import sys
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from printers.document import PAPERS
from printers.encode import encode
from printers.raster import render
from printers.slips import poster_document, printer_test_page

from builders import enrol_body
from escpos_stream import parse
from fake_printer import FakePrinter
from print_helpers import add_printer

CLI = [sys.executable, "-m", "edge.cli"]


def scanned(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def test_a_coupon_slip_prints_code_qr_conditions_and_expiry(api, store) -> None:
    mid = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    issued = api.post("/api/v1/coupons", json={"campaign_id": "welcome-5", "member_id": mid}, role="manager").json()
    code = issued["code"]
    with FakePrinter("good") as printer:
        add_printer(store, printer.url(timeout=5), width_mm=58)
        answer = api.post(f"/api/v1/coupons/{code}/print", params={"lane_id": "L1"})
        assert answer.status_code == 202 and answer.json()["kind"] == "coupon"
        assert printer.wait_for(lambda p: len(p.jobs) == 1)
    paper = parse(printer.jobs[0])
    assert paper.qrs == [code]
    text = "\n".join(paper.texts)
    assert code in text and "有效期至" in text and "每单限用一张" in text
    expires = datetime.fromisoformat(issued["expires_at"].replace("Z", "+00:00")).astimezone(store.tz)
    assert f"有效期至              {expires:%Y-%m-%d}" in text  # the coupon's own expiry, store-local
    assert api.post("/api/v1/coupons/NOPE/print", params={"lane_id": "L1"}).status_code == 404
    assert api.post(f"/api/v1/coupons/{code}/print").status_code in (400, 422)  # lane_id is required


def test_a_standee_poster_goes_to_an_image_printer_and_its_qr_scans(api, store) -> None:
    standee = api.post("/api/v1/standees", json={"label": "门口", "location": "door"}, role="manager").json()
    with FakePrinter("good") as printer:
        add_printer(store, printer.url(timeout=5), name="poster80", width_mm=80, lanes=())
        answer = api.post(f"/api/v1/standees/{standee['standee_id']}/print", params={"printer": "poster80"},
                          role="manager")
        assert answer.status_code == 202
        assert printer.wait_for(lambda p: len(p.jobs) == 1)
    images = parse(printer.jobs[0]).images
    assert len(images) == 1 and images[0].width == 576
    assert scanned(images[0]) == [standee["url"]]


def test_the_58mm_poster_keeps_whole_qr_modules_and_scans() -> None:
    url = "http://127.0.0.1:8000/j/s1.example-token-for-a-standee"
    doc = poster_document("街角咖啡", url, "http://127.0.0.1:8000/s/ABC234", "门口", PAPERS[58])
    for mode, qr in (("text", "native"), ("raster", "raster")):
        stream = parse(encode(doc, mode, qr))
        found = stream.qrs or [t for im in stream.images for t in scanned(im)]
        assert found == [url]
    assert scanned(render(doc)) == [url]


@pytest.mark.parametrize("width", [58, 80])
def test_the_test_page_shows_each_mode_side_by_side(width: int) -> None:
    stream = parse(encode(printer_test_page("front", "tcp://10.0.0.5:9100", PAPERS[width]), "text", "native"))
    assert "中文测试：会员积分￥28.50" in stream.texts  # A: as printer text
    assert stream.qrs == ["https://store-edge.test/print-test"]  # C: the native QR
    assert len([t for im in stream.images for t in scanned(im)]) == 1  # D: the same QR as a picture


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


def test_printers_add_list_test_and_remove_from_the_command_line(store_dir) -> None:
    data = str(store_dir[0])
    with FakePrinter("good") as printer:
        added = run("printers", "add", "--name", "front", "--url", printer.url(timeout=5), "--width", "58",
                    "--lanes", "L1,L2", "--data-dir", data)
        assert added.returncode == 0, added.stderr
        listed = run("printers", "list", "--data-dir", data)
        assert "front" in listed.stdout and "L1,L2" in listed.stdout and "58mm" in listed.stdout
        tested = run("printers", "test", "--printer", "front", "--data-dir", data)
        assert tested.returncode == 0, tested.stderr
        assert "the printer took them all" in tested.stdout and "online, paper ok" in tested.stdout
        assert printer.wait_for(lambda p: len(p.jobs) == 1)
        assert "中文测试：会员积分￥28.50" in parse(printer.jobs[0]).texts
    taken = run("printers", "add", "--name", "back", "--url", "file:///tmp/x.bin", "--lanes", "L1", "--data-dir", data)
    assert taken.returncode != 0 and "lane L1 already prints on front" in taken.stderr
    bad = run("printers", "add", "--name", "back", "--url", "http://10.0.0.5", "--data-dir", data)
    assert bad.returncode != 0 and "url:" in bad.stderr
    with FakePrinter("refuses") as off:
        run("printers", "add", "--name", "off", "--url", off.url(timeout=1), "--data-dir", data)
        failed = run("printers", "test", "--printer", "off", "--data-dir", data)
    assert failed.returncode == 1 and "FAILED" in failed.stdout and "refused" in failed.stdout
    assert run("printers", "remove", "front", "--data-dir", data).returncode == 0
    assert "front" not in run("printers", "list", "--data-dir", data).stdout
    assert run("printers", "remove", "front", "--data-dir", data).returncode != 0


def test_a_preview_png_reads_back_as_an_image(api) -> None:
    api.post("/api/v1/sales", json={"sale_id": "P-1", "lane_id": "L1", "cashier_id": "C1",
                                    "lines": [{"sku": "LATTE", "qty": 1}], "payment": {"method": "cash"}})
    png = api.get("/api/v1/sales/P-1/receipt.png", params={"width": 58}).content
    assert Image.open(io.BytesIO(png)).size[0] == 384
