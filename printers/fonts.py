"""The CJK font to draw Chinese with: Noto Sans CJK or WenQuanYi from Debian (fonts-noto-cjk), or the
file named by STORE_EDGE_CJK_FONT."""

import os
from pathlib import Path

# (font file, index in a .ttc collection: Noto's Simplified Chinese face is the third)
FONT_CANDIDATES = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-{w}.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-{w}.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
]


class FontMissing(RuntimeError):
    """No CJK font was found: install fonts-noto-cjk or set STORE_EDGE_CJK_FONT."""


def find_font(bold: bool = False, configured: str | None = None) -> tuple[str, int]:
    """The CJK font file (and collection index) to draw with: configured first, then Debian's."""
    configured = configured or os.environ.get("STORE_EDGE_CJK_FONT")
    if configured:
        if not Path(configured).exists():
            raise FontMissing(f"STORE_EDGE_CJK_FONT={configured} does not exist")
        return configured, 2 if configured.endswith(".ttc") and "Noto" in configured else 0
    for pattern, index in FONT_CANDIDATES:
        path = pattern.format(w="Bold" if bold else "Regular")
        if Path(path).exists():
            return path, index
    raise FontMissing("no CJK font found: install fonts-noto-cjk (Debian) or set STORE_EDGE_CJK_FONT")


# Receipts draw text on the printer's own grid (12 dots a Latin column, 24 a Chinese character):
# a monospaced CJK face puts each glyph where text mode would. Any CJK face works, since each
# glyph is placed in its own cell; the monospaced ones just look closest to a printer's ROM font.
MONO_CANDIDATES = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-{w}.ttc", 7),  # Noto Sans Mono CJK SC
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),  # WenQuanYi Zen Hei Mono
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1),  # WenQuanYi Micro Hei Mono
]


def find_receipt_font(bold: bool = False) -> tuple[str, int]:
    """The font receipts are drawn with in raster mode: STORE_EDGE_CJK_FONT, a monospaced CJK face,
    else any CJK face."""
    if os.environ.get("STORE_EDGE_CJK_FONT"):
        return find_font(bold)
    for pattern, index in MONO_CANDIDATES:
        path = pattern.format(w="Bold" if bold else "Regular")
        if Path(path).exists():
            return path, index
    return find_font(bold)
