"""Slips other than receipts: a coupon, a printer's test page, a standee poster on a receipt printer."""

from msgspec import Struct

from .document import Document, Paper, Text
from .layout import Page
from .posters import CALL_EN, CALL_ZH, FALLBACK_EN, FALLBACK_ZH, LAYOUTS, render_poster


class Condition(Struct, frozen=True):
    zh: str
    en: str


class CouponSlip(Struct, frozen=True, kw_only=True):
    store_name: str
    name_zh: str
    name_en: str
    benefit_zh: str  # e.g. "满50减10"
    benefit_en: str
    code: str
    qr_data: str  # what the till scans: the code itself
    expires: str  # local date, "YYYY-MM-DD"
    conditions: list[Condition] = []
    member_phone_masked: str | None = None


def coupon_document(c: CouponSlip, paper: Paper) -> Document:
    """Coupon slip: what it gives, the code in large type and as a QR, its conditions, its expiry."""
    page = Page(paper, "coupon")
    page.title(c.store_name)
    page.text("优惠券 Coupon", "center")
    page.rule("=")
    page.text(c.name_zh, "center", bold=True)
    if c.name_en and c.name_en != c.name_zh:
        page.text(c.name_en, "center")
    page.title(c.benefit_zh)
    if c.benefit_en:
        page.text(c.benefit_en, "center")
    page.feed()
    page.qr(c.qr_data)
    page.text(c.code, "center", bold=True, big=len(c.code) <= paper.cols // 2)
    page.rule()
    page.row(page.label("有效期至", "Valid until"), c.expires)
    for cond in c.conditions:
        page.text(f"· {cond.zh}" + (f" {cond.en}" if page.wide and cond.en else ""))
    if c.member_phone_masked:
        page.row(page.label("会员", "Member"), c.member_phone_masked)
    page.text(page.label("结账时出示此券", "Show at the till"), "center")
    return page.done()


POSTER_80 = LAYOUTS["80mm"]
TEST_CJK = "中文测试：会员积分￥28.50"


def printer_test_page(printer_name: str, url: str, paper: Paper) -> Document:
    """A page that shows, on paper, which of text mode / raster mode and native / raster QR work.

    The same CJK line comes once as printer text and once as a picture of text, and the same QR
    once through the printer's own QR command and once as a picture: the person at the printer
    sees which of each pair came out right and sets the printer's mode to match.
    """
    page = Page(paper, "test")
    page.title("打印测试 Test page")
    page.fitted(f"{printer_name}  {paper.label}  {url}", "center")
    page.rule()
    page.text("ASCII: 0123456789 ABCDEFGHIJ abcdefghij !#%&*+-=/")
    page.text("代码页 Code page: GB18030 (FS &)")
    page.rule()
    page.text("A 文本模式 text mode:", bold=True)
    page.blocks.append(Text(TEST_CJK, "left", False, False))
    page.text("B 图像模式 raster mode:", bold=True)
    page.blocks.append(RasterText(TEST_CJK, "left", False, False))
    page.text("A 乱码则设 --mode raster", "left")
    page.text("(garbled A: set --mode raster)", "left")
    page.rule()
    page.text("C 原生二维码 native QR:", bold=True)
    page.blocks.append(NativeQr("https://store-edge.test/print-test", 5))
    page.text("D 图像二维码 raster QR:", bold=True)
    page.blocks.append(RasterQr("https://store-edge.test/print-test", 5))
    page.text("C 空白则设 --qr raster", "left")
    page.text("(no C: set --qr raster)", "left")
    page.rule()
    for label, fill in (("宽 58mm", 32), ("宽 80mm", 48)):
        if fill <= paper.cols:
            page.text(f"{label}: " + "|" * (fill - 9))
    return page.done()


class RasterText(Text, frozen=True):
    """A line always sent as a picture, whatever the printer's mode (the test page compares both)."""


class NativeQr(Struct, frozen=True):
    """A QR always sent with the printer's own command (the test page compares both)."""

    data: str
    module: int = 5


class RasterQr(Struct, frozen=True):
    """A QR always sent as a picture (the test page compares both)."""

    data: str
    module: int = 5


def poster_document(store_name: str, url: str, short_url: str, label: str, paper: Paper,
                    call_zh: str = CALL_ZH, call_en: str = CALL_EN, detail_zh: str = "",
                    detail_en: str = "") -> Document:
    """The standee poster on a receipt printer: the 80 mm poster as one picture; on 58 mm the same
    words and QR as lines (scaling the picture would make the QR's modules uneven, which cheap
    phone cameras read badly). The call says what the standee's own offer gives."""
    page = Page(paper, "poster")
    if paper.dots == POSTER_80.width:
        return page.picture(render_poster("80mm", store_name=store_name, url=url, short_url=short_url,
                                          label=label, call_zh=call_zh, call_en=call_en, detail_zh=detail_zh,
                                          detail_en=detail_en)).done()
    page.title(store_name).rule("=").feed()
    page.title(call_zh).text(call_en, "center")
    for detail in (detail_zh, detail_en):
        if detail:
            page.text(detail, "center")
    page.feed()
    page.qr(url).feed()
    page.text(f"{FALLBACK_ZH} / {FALLBACK_EN}", "center").fitted(short_url, "center", bold=True)
    if label:
        page.text(label, "center")
    return page.done()
