"""Standee posters: store name, the Chinese call to action with English below, the QR, a short URL.

Sizes: A4 and A5 at 150 dpi for the counter and the door, 80 mm for a receipt printer (576 dots
at 203 dpi, black and white). Chinese needs a real CJK font (see fonts.py).
"""

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from edge.domain.text import strip_controls

from .fonts import FontMissing, find_font
from .qr import qr_image

__all__ = ["FontMissing", "find_font", "poster_bytes", "render_poster"]

PosterSize = Literal["a4", "a5", "80mm"]
SIZES: tuple[str, ...] = ("a4", "a5", "80mm")
CALL_ZH = "扫码入会 领新人券"
CALL_EN = "Scan to join · get a welcome coupon"
FALLBACK_ZH = "扫不了？浏览器打开"
FALLBACK_EN = "Can't scan? Open"

COFFEE = (111, 78, 55)
CREAM = (250, 244, 235)
INK = (34, 28, 24)


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    dpi: int
    colour: bool


LAYOUTS = {"a4": Layout(1240, 1754, 150, True), "a5": Layout(874, 1240, 150, True),
           "80mm": Layout(576, 800, 203, False)}


@lru_cache(maxsize=64)
def _font(size: int, bold: bool, configured: str | None) -> ImageFont.FreeTypeFont:
    path, index = find_font(bold, configured)
    return ImageFont.truetype(path, size, index=index)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, fill, width: int,
             max_width: int) -> int:
    """Draw `text` centred at `y`, shrinking the font until it fits; return the y below it.

    Control characters are dropped first: the text shaper fails on them (U+001E: "raqm_layout() failed"),
    and inputs refuse them, but a label stored before that rule may still hold one."""
    text = strip_controls(text)
    while draw.textlength(text, font=font) > max_width and font.size > 10:
        font = font.font_variant(size=font.size - 2)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) // 2 - left, y - top), text, font=font, fill=fill)
    return y + (bottom - top)


def render_poster(size: PosterSize, store_name: str, url: str, short_url: str, label: str = "",
                  font_path: str | None = None) -> Image.Image:
    """The poster as an image; the QR encodes `url`, `short_url` is printed for typing by hand."""
    lay = LAYOUTS[size]
    w, h = lay.width, lay.height
    u = w / 100  # one unit: a hundredth of the width, so every size keeps its proportions
    bg, ink, accent = (CREAM, INK, COFFEE) if lay.colour else ((255, 255, 255), (0, 0, 0), (0, 0, 0))
    img = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(img)
    margin = int(6 * u)
    inner = w - 2 * margin

    def font(units: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _font(int(units * u), bold, font_path)

    band = int(16 * u)
    if lay.colour:
        draw.rectangle((0, 0, w, band), fill=accent)
        _centred(draw, int(5 * u), store_name, font(6, True), CREAM, w, inner)
        y = band + int(7 * u)
    else:
        y = _centred(draw, int(3 * u), store_name, font(7, True), ink, w, inner) + int(3 * u)
        draw.line((margin, y, w - margin, y), fill=ink, width=max(2, int(0.5 * u)))
        y += int(5 * u)
    y = _centred(draw, y, CALL_ZH, font(10, True), accent, w, inner) + int(3 * u)
    y = _centred(draw, y, CALL_EN, font(4.2), ink, w, inner) + int(5 * u)

    modules = qr_image(url, module_px=1).width
    # whole pixels per module: uneven modules scan worse on a cheap phone camera
    qr = qr_image(url, module_px=max(1, min(int(62 * u), h - y - int(30 * u)) // modules)).convert("L")
    side = qr.width
    pad = int(2.5 * u)
    left = (w - side) // 2
    if lay.colour:
        draw.rounded_rectangle((left - pad, y - pad, left + side + pad, y + side + pad), radius=int(3 * u),
                               fill=(255, 255, 255), outline=accent, width=max(2, int(0.6 * u)))
    img.paste(qr, (left, y))
    y += side + pad + int(5 * u)
    y = _centred(draw, y, f"{FALLBACK_ZH} / {FALLBACK_EN}", font(3.2), ink, w, inner) + int(2 * u)
    y = _centred(draw, y, short_url, font(4.4, True), accent, w, inner) + int(4 * u)
    if label:
        _centred(draw, min(y, h - int(6 * u)), label, font(3), (120, 110, 100) if lay.colour else ink, w, inner)
    return img


def poster_bytes(size: PosterSize, fmt: Literal["png", "pdf"], **kw) -> bytes:
    """The poster as PNG, or as a one-page PDF at the poster's real paper size."""
    img = render_poster(size, **kw)
    buf = io.BytesIO()
    if fmt == "pdf":
        img.save(buf, format="PDF", resolution=LAYOUTS[size].dpi)
    else:
        img.save(buf, format="PNG", dpi=(LAYOUTS[size].dpi, LAYOUTS[size].dpi))
    return buf.getvalue()
