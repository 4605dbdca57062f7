"""Receipts as ESC/POS bytes: read back, the text, the QR and the layout are what the sale says."""

import io

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from printers.document import PAPERS, Qr, Text
from printers.encode import encode
from printers.raster import preview_png, render
from printers.receipt import VoidSlip, receipt_document, void_document
from printers.text import cols

from escpos_stream import parse
from receipts import JOIN_URL, guest_receipt, member_receipt


def decoded(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("width", [58, 80])
def test_text_mode_sends_every_line_as_gb18030_in_chinese_mode(width: int) -> None:
    doc = receipt_document(member_receipt(), PAPERS[width])
    stream = parse(encode(doc, "text", "native"))
    assert stream.chinese_mode
    assert stream.texts == doc.texts()
    assert not stream.images
    assert any("拿铁" in t for t in stream.texts) and any("金卡会员折扣" in t for t in stream.texts)
    assert stream.cuts == 1


@pytest.mark.parametrize("width", [58, 80])
def test_every_line_fits_the_paper(width: int) -> None:
    paper = PAPERS[width]
    for receipt in (member_receipt(), guest_receipt(), member_receipt(reprint=True, voided=True)):
        for block in receipt_document(receipt, paper).blocks:
            if isinstance(block, Text):
                assert cols(block.text) <= (paper.cols // 2 if block.big else paper.cols), block.text


def test_the_total_is_big_on_58mm_and_the_store_name_is_a_big_title() -> None:
    stream = parse(encode(receipt_document(member_receipt(), PAPERS[58]), "text", "native"))
    big = [ln.text for ln in stream.lines if ln.size == 0x11]
    assert big[0] == "街角咖啡 徐汇店"
    assert any("合计" in t and "￥74.00" in t for t in big)


@pytest.mark.parametrize("width", [58, 80])
def test_native_qr_carries_the_join_url(width: int) -> None:
    stream = parse(encode(receipt_document(guest_receipt(), PAPERS[width]), "text", "native"))
    assert stream.qrs == [JOIN_URL]
    assert any("扫码入会 本单18积分立即到账" in t for t in stream.texts)


@pytest.mark.parametrize("width", [58, 80])
def test_raster_mode_prints_pictures_that_decode_to_the_join_url(width: int) -> None:
    stream = parse(encode(receipt_document(guest_receipt(), PAPERS[width]), "raster", "raster"))
    assert not stream.texts and not stream.qrs and not stream.chinese_mode
    assert all(im.width == PAPERS[width].dots for im in stream.images)
    found = [text for im in stream.images for text in decoded(im)]
    assert found == [JOIN_URL]


def test_raster_text_with_a_native_qr() -> None:
    stream = parse(encode(receipt_document(guest_receipt(), PAPERS[80]), "raster", "native"))
    assert stream.qrs == [JOIN_URL] and not stream.texts and stream.images


def test_a_raster_page_is_the_preview_of_the_same_document() -> None:
    doc = receipt_document(member_receipt(), PAPERS[58])
    printed = parse(encode(doc, "raster", "raster")).images
    preview = render(doc)
    top = printed[0]  # the lines before the first feed, band by band
    assert top.tobytes() == preview.crop((0, 0, top.width, top.height)).tobytes()


def test_a_line_the_printer_font_lacks_goes_as_a_picture_of_that_line() -> None:
    receipt = member_receipt(store_name="Bean ☕ 豆子")
    stream = parse(encode(receipt_document(receipt, PAPERS[80]), "text", "native"))
    assert not any("☕" in t for t in stream.texts)
    assert len(stream.images) == 1 and stream.images[0].height == 60  # the big title, drawn
    assert any("拿铁" in t for t in stream.texts)


def test_control_bytes_in_names_never_reach_the_printer() -> None:
    receipt = member_receipt(store_name="Evil\x1bi\x1dV\x00Shop", cashier_id="C7\x10\x04\x01")
    stream = parse(encode(receipt_document(receipt, PAPERS[58]), "text", "native"))
    assert stream.cuts == 1 and not stream.status_requests
    assert any("EviliVShop" in t for t in stream.texts)


@pytest.mark.parametrize("width", [58, 80])
def test_preview_is_paper_wide_and_its_qr_scans(width: int) -> None:
    png = preview_png(receipt_document(guest_receipt(), PAPERS[width]))
    image = Image.open(io.BytesIO(png))
    assert image.width == PAPERS[width].dots
    assert decoded(image) == [JOIN_URL]


def test_void_slip_says_voided_and_what_went_back() -> None:
    slip = VoidSlip(store_name="街角咖啡", sale_id="L1-000123", sold_at="2026-11-24 10:00",
                    voided_at="2026-11-24 10:05", lane_id="L1", cashier_id="C7", reason="顾客退货",
                    total_fen=7400, payment_method="cash", member_phone_masked="138****8000", points_reversed=74)
    texts = parse(encode(void_document(slip, PAPERS[58]), "text", "native")).texts
    assert "已作废 VOIDED" in texts
    assert any("￥74.00" in t for t in texts) and any("-74" in t for t in texts)
    assert any("顾客退货" in t for t in texts)


names = st.text(st.sampled_from("拿铁咖啡豆子AbcXyz 0123（）·-—éü"), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=names, store=names, qty=st.integers(1, 999), price=st.integers(0, 10**7), width=st.sampled_from([58, 80]))
def test_any_names_and_amounts_lay_out_within_the_paper(name: str, store: str, qty: int, price: int,
                                                        width: int) -> None:
    base = member_receipt()
    line = base.lines[0].__class__(name_zh=name, name_en=name, qty=qty, unit_price_fen=price,
                                   subtotal_fen=price * qty, total_fen=price * qty)
    receipt = member_receipt(store_name=store, lines=[line], subtotal_fen=price * qty, discount_fen=0,
                             total_fen=price * qty, paid_fen=price * qty)
    paper = PAPERS[width]
    doc = receipt_document(receipt, paper)
    for block in doc.blocks:
        if isinstance(block, Text):
            assert cols(block.text) <= (paper.cols // 2 if block.big else paper.cols)
        else:
            assert not isinstance(block, Qr)  # a member's receipt has no join QR
    assert parse(encode(doc, "text", "native")).texts == doc.texts()
