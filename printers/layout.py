"""Building a document line by line in printer columns: wrapping, two-sided rows, rules, the QR."""

from .document import Align, Cut, Document, Feed, Paper, Picture, Qr, Text
from .text import clean, cols, spread, truncate, wrap

QR_MODULE = {58: 5, 80: 6}  # dots per module: a 120-character URL stays ~3 cm wide, easy for a phone


class Page:
    """Collects blocks for one paper width; every text that comes in is cleaned and fitted here."""

    def __init__(self, paper: Paper, kind: str) -> None:
        self.paper = paper
        self.kind = kind
        self.blocks: list = []

    @property
    def cols(self) -> int:
        return self.paper.cols

    @property
    def wide(self) -> bool:
        """80 mm has room for the English beside the Chinese on most lines."""
        return self.paper.cols >= 48

    def label(self, zh: str, en: str) -> str:
        return f"{zh} {en}" if self.wide else zh

    def text(self, text: str, align: Align = "left", bold: bool = False, big: bool = False) -> "Page":
        """Add `text`, wrapped to the paper (half the columns when big)."""
        width = self.cols // 2 if big else self.cols
        for line in wrap(clean(text), width):
            self.blocks.append(Text(line, align, bold, big))
        return self

    def title(self, text: str) -> "Page":
        """Big and bold when it fits in half the columns, else bold at normal size."""
        text = clean(text)
        if cols(text) <= self.cols // 2:
            return self.text(text, "center", bold=True, big=True)
        return self.text(text, "center", bold=True)

    def row(self, left: str, right: str, bold: bool = False, big: bool = False) -> "Page":
        """`left` flush left, `right` flush right; `left` wraps when both do not fit."""
        width = self.cols // 2 if big else self.cols
        for line in spread(clean(left), clean(right), width):
            self.blocks.append(Text(line, "left", bold, big))
        return self

    def fitted(self, text: str, align: Align = "left", bold: bool = False) -> "Page":
        """One line, cut with an ellipsis if it is too long (ids, URLs)."""
        self.blocks.append(Text(truncate(clean(text), self.cols), align, bold))
        return self

    def rule(self, char: str = "-") -> "Page":
        self.blocks.append(Text(char * self.cols))
        return self

    def qr(self, data: str) -> "Page":
        self.blocks.append(Qr(data, QR_MODULE.get(self.paper.width_mm, 5)))
        return self

    def picture(self, image) -> "Page":  # noqa: ANN001 - PIL.Image.Image
        self.blocks.append(Picture(image))
        return self

    def feed(self, lines: int = 1) -> "Page":
        self.blocks.append(Feed(lines))
        return self

    def done(self) -> Document:
        """The document, ending with a feed past the cutter and a cut."""
        return Document(self.paper, [*self.blocks, Feed(3), Cut()], self.kind)
