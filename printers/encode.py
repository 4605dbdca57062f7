"""Documents as ESC/POS bytes, in the printer's text mode (GB18030) or as raster images.

python-escpos builds the commands it knows well: alignment, emphasis, character size with
`GS !`, raster images (`GS v 0`, split into bands), the native QR (`GS ( k`) and the cut. Two
parts are ours, because python-escpos has no Chinese in its code-page tables (its `text()` maps
characters to single-byte code pages and prints `?` for Chinese), and its double-size text uses
`ESC !`, which Chinese printers apply to ASCII only:
- text mode switches the printer to its Chinese character mode (`FS &`) and sends each line as
  GB18030 (its two-byte range is GBK, which the printers' Chinese fonts cover); size goes through
  `GS !`, which enlarges Chinese characters too;
- a line with a character outside GBK (an emoji in a product name, say) is sent as a picture of
  that line, so it prints right instead of as garbage.
"""

from typing import Literal

from .document import Cut, Document, Feed, Picture, PrintMode, Qr, QrMode, Text
from .escpos_lib import dummy
from .raster import picture_block, qr_block, stack, text_line
from .slips import NativeQr, RasterQr, RasterText
from .text import printable_in_text_mode

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"  # Chinese (Kanji) character mode: two-byte GB codes print as Chinese
BAND = 240  # raster band height in dots: small printers' input buffers take a band whole
QR_EC_M = 1  # python-escpos QR_ECLEVEL_M: 15% of the code can be lost and it still reads


def encode(doc: Document, mode: PrintMode = "text", qr: QrMode = "native") -> bytes:
    """The ESC/POS bytes that print `doc` on a printer set up for `mode` and `qr`."""
    p = dummy(doc.paper.width_mm)
    p._raw(INIT)
    if mode == "text":
        p._raw(CHINESE_ON)
    pending: list = []  # consecutive lines that go as one picture

    def flush() -> None:
        if pending:
            _image(p, stack(pending, doc.paper))
            pending.clear()

    for block in doc.blocks:
        kind = _kind(block, mode, qr)
        if kind == "raster_text":
            pending.append(text_line(block, doc.paper))
            continue
        flush()
        if kind == "text":
            size = 2 if block.big else 1
            p.set(align=block.align, bold=block.bold, custom_size=True, width=size, height=size)
            p._raw(block.text.encode("gb18030") + b"\n")
        elif kind == "native_qr":
            p.set(align="center")
            p.qr(block.data, ec=QR_EC_M, size=block.module, native=True)
            p.set(align="left")
        elif kind == "raster_qr":
            _image(p, qr_block(Qr(block.data, block.module), doc.paper))
        elif kind == "picture":
            _image(p, picture_block(block, doc.paper))
        elif kind == "feed":
            p._raw(ESC + b"d" + bytes([min(block.lines, 255)]))
        elif kind == "cut":
            p.cut(feed=False)  # GS V 66 0: feed to the cutter, then cut
    flush()
    return p.output


def _kind(block: object, mode: PrintMode, qr: QrMode) -> Literal[
        "text", "raster_text", "native_qr", "raster_qr", "picture", "feed", "cut"]:
    if isinstance(block, RasterText):
        return "raster_text"
    if isinstance(block, Text):
        return "text" if mode == "text" and printable_in_text_mode(block.text) else "raster_text"
    if isinstance(block, NativeQr):
        return "native_qr"
    if isinstance(block, RasterQr):
        return "raster_qr"
    if isinstance(block, Qr):
        return "native_qr" if qr == "native" else "raster_qr"
    if isinstance(block, Picture):
        return "picture"
    if isinstance(block, Feed):
        return "feed"
    if isinstance(block, Cut):
        return "cut"
    raise TypeError(f"cannot print a {type(block).__name__}")


def _image(p, image) -> None:  # noqa: ANN001 - escpos Dummy, PIL image
    p.set(align="left")
    p.image(image, impl="bitImageRaster", fragment_height=BAND, center=False)
