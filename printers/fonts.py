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
