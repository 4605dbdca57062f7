"""A printed slip as a list of blocks, laid out in printer columns for one paper width.

One document prints in text mode (GB18030), prints in raster mode (text drawn with the CJK font),
and renders as a PNG preview, so the preview shows what the paper will.
"""

from typing import Any, Literal

from msgspec import Struct

Align = Literal["left", "center", "right"]
PrintMode = Literal["text", "raster"]
QrMode = Literal["native", "raster"]


class Paper(Struct, frozen=True):
    width_mm: int
    dots: int  # printable dots across at 203 dpi
    cols: int  # Font A columns: 12 dots each

    @property
    def label(self) -> str:
        return f"{self.width_mm}mm"


PAPERS: dict[int, Paper] = {58: Paper(58, 384, 32), 80: Paper(80, 576, 48)}
CELL = 12  # dots per column: Font A is 12x24, a Chinese character 24x24


class Text(Struct, frozen=True):
    """One printed line, already fitted to the paper (big: double width and height, half the columns)."""

    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False


class Qr(Struct, frozen=True):
    data: str
    module: int = 5  # dots per module on paper (the native command's size, 1-16)


class Picture(Struct, frozen=True):
    image: Any  # a PIL image no wider than the paper; printed as a 1-bit raster


class Feed(Struct, frozen=True):
    lines: int = 1


class Cut(Struct, frozen=True):
    pass


Block = Text | Qr | Picture | Feed | Cut


class Document(Struct):
    paper: Paper
    blocks: list[Block]
    kind: str = "receipt"

    def texts(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Text)]
