"""Documents drawn as 1-bit images: raster-mode printing, and the PNG preview a POS shows.

Each character is drawn once with the CJK font into its printer cell (12 dots a column, 24 tall,
on a 30-dot line pitch) and cached; a line is those cells pasted side by side, so an image line
puts every character exactly where the printer's text mode would, and drawing a receipt is a few
thousand pastes rather than a few thousand font renders.
"""

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .document import CELL, Cut, Document, Feed, Paper, Picture, Qr, Text
from .fonts import find_receipt_font
from .qr import qr_image
from .text import char_cols

LINE = 30  # dots per text line: a 24-dot character and the printer's default spacing
FONT_PX = 24
BASELINE = 24  # baseline in the 30-dot line: the 24-dot em box sits centred
INK = 160  # grey levels darker than this print black: thermal dots are all or nothing


@lru_cache(maxsize=4)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    path, index = find_receipt_font(bold)
    return ImageFont.truetype(path, FONT_PX, index=index)


@lru_cache(maxsize=8192)
def glyph(ch: str, bold: bool) -> Image.Image:
    """One character in its cell, 1-bit, at normal size."""
    width = CELL * char_cols(ch)
    cell = Image.new("L", (width, LINE), 255)
    font = _font(bold)
    advance = font.getlength(ch)
    ImageDraw.Draw(cell).text(((width - advance) / 2, BASELINE), ch, font=font, fill=0, anchor="ls")
    return cell.point(lambda v: 0 if v < INK else 255, mode="1")


@lru_cache(maxsize=4096)
def _big_glyph(ch: str, bold: bool) -> Image.Image:
    g = glyph(ch, bold)
    return g.resize((g.width * 2, g.height * 2), Image.NEAREST)  # what the printer's GS ! 0x11 does


def text_line(line: Text, paper: Paper) -> Image.Image:
    """One text line at the paper's width, aligned as the printer would align it."""
    scale = 2 if line.big else 1
    cells = [(_big_glyph if line.big else glyph)(ch, line.bold) for ch in line.text]
    used = sum(c.width for c in cells)
    x = {"left": 0, "center": (paper.dots - used) // 2, "right": paper.dots - used}[line.align]
    img = Image.new("1", (paper.dots, LINE * scale), 1)
    for cell in cells:
        if x + cell.width > paper.dots:
            break  # layout keeps lines within the paper; a stray long one is cut, as on the printer
        img.paste(cell, (max(0, x), 0))
        x += cell.width
    return img


def qr_block(qr: Qr, paper: Paper) -> Image.Image:
    """The QR centred on the paper, `qr.module` dots per module, with its quiet zone."""
    code = qr_image(qr.data, module_px=qr.module)
    if code.width > paper.dots:  # a long text: the largest whole module that fits
        modules = code.width // qr.module
        code = qr_image(qr.data, module_px=max(1, paper.dots // modules))
    img = Image.new("1", (paper.dots, code.height), 1)
    img.paste(code, ((paper.dots - code.width) // 2, 0))
    return img


def picture_block(picture: Picture, paper: Paper) -> Image.Image:
    image = picture.image
    if image.width > paper.dots:
        image = image.resize((paper.dots, image.height * paper.dots // image.width))
    image = image.convert("1")
    img = Image.new("1", (paper.dots, image.height), 1)
    img.paste(image, ((paper.dots - image.width) // 2, 0))
    return img


def stack(images: list[Image.Image], paper: Paper) -> Image.Image:
    out = Image.new("1", (paper.dots, sum(i.height for i in images) or 1), 1)
    y = 0
    for image in images:
        out.paste(image, (0, y))
        y += image.height
    return out


def render(doc: Document) -> Image.Image:
    """The whole document as the paper will show it (a dotted line where the cutter cuts)."""
    parts: list[Image.Image] = []
    for block in doc.blocks:
        if isinstance(block, Text):
            parts.append(text_line(block, doc.paper))
        elif isinstance(block, Qr) or hasattr(block, "module"):
            parts.append(qr_block(Qr(block.data, block.module), doc.paper))  # type: ignore[union-attr]
        elif isinstance(block, Picture):
            parts.append(picture_block(block, doc.paper))
        elif isinstance(block, Feed):
            parts.append(Image.new("1", (doc.paper.dots, LINE * block.lines), 1))
        elif isinstance(block, Cut):
            cut = Image.new("1", (doc.paper.dots, 9), 1)
            ImageDraw.Draw(cut).line((0, 4, doc.paper.dots, 4), fill=0, width=1)
            for x in range(0, doc.paper.dots, 12):
                ImageDraw.Draw(cut).line((x + 6, 4, x + 11, 4), fill=1, width=1)
            parts.append(cut)
    return stack(parts, doc.paper)


def preview_png(doc: Document) -> bytes:
    """The PNG preview of a document, 203 dpi, one pixel a printer dot."""
    buf = io.BytesIO()
    render(doc).save(buf, format="PNG", dpi=(203, 203), optimize=False)
    return buf.getvalue()

