"""Text measured in printer columns: a half-width character takes one column, a Chinese one two.

A receipt printer's text mode prints ASCII in a 12x24-dot cell (Font A) and a Chinese character in a
24x24 cell, so 58 mm paper (384 dots) holds 32 columns and 80 mm (576 dots) 48. Layout works in
those columns, so text mode and raster mode put every character in the same place.
"""

import unicodedata
from functools import lru_cache


def clean(text: str) -> str:
    """`text` with control and invisible characters removed: a value that reaches the paper must
    never carry an ESC/POS command (ESC, GS, DLE...) or a line break the layout did not make."""
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Mn", "Me"):
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=8192)
def char_cols(ch: str) -> int:
    """Columns one character takes on the printer: 1 for ASCII, 2 for a double-byte GBK character
    (every Chinese character and full-width sign), otherwise by its East Asian width."""
    if " " <= ch <= "~":
        return 1
    try:
        return 2 if len(ch.encode("gbk")) == 2 else 1
    except UnicodeEncodeError:
        return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cols(text: str) -> int:
    return sum(char_cols(ch) for ch in text)


def printable_in_text_mode(text: str) -> bool:
    """True when every character is in GBK, which a printer's Chinese font covers (GB18030's
    four-byte characters, emoji among them, are not in the printer's ROM)."""
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def truncate(text: str, width: int) -> str:
    """The longest prefix of `text` that fits in `width` columns (an ellipsis marks a cut)."""
    if cols(text) <= width:
        return text
    mark = "…" if width >= 2 * char_cols("…") else ""
    out, used = [], cols(mark)
    for ch in text:
        if used + char_cols(ch) > width:
            break
        out.append(ch)
        used += char_cols(ch)
    return "".join(out) + mark


def wrap(text: str, width: int) -> list[str]:
    """`text` broken into lines of at most `width` columns: at spaces where it can, anywhere
    between Chinese characters (Chinese has no spaces), never inside a run of Latin letters unless
    the run alone is wider than a line. Leading spaces (an indent) start every line."""
    indent = " " * (len(text) - len(text.lstrip(" ")))
    if indent and len(indent) < width // 2:
        return [indent + line for line in wrap(text.lstrip(" "), width - len(indent))]
    text = " ".join(text.split())
    if not text:
        return [""]
    lines: list[str] = []
    while cols(text) > width:
        cut, used, last_break = 0, 0, 0
        for i, ch in enumerate(text):
            w = char_cols(ch)
            if used + w > width:
                break
            used += w
            cut = i + 1
            if ch == " ":
                last_break = i
            elif w == 2 or (i + 1 < len(text) and char_cols(text[i + 1]) == 2):
                last_break = i + 1
        if last_break > 0:
            cut = last_break
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    lines.append(text)
    return lines


def spread(left: str, right: str, width: int) -> list[str]:
    """`left` flush left and `right` flush right on one line of `width` columns; when both do not
    fit, `left` wraps and `right` ends its last line (or takes a line of its own)."""
    right_w = cols(right)
    if right_w >= width:
        return [*wrap(left, width), truncate(right, width)]
    lines = wrap(left, width)
    last = lines[-1]
    if cols(last) + 1 + right_w > width:
        lines.append("")
        last = ""
    lines[-1] = last + " " * (width - cols(last) - right_w) + right
    return lines


def yuan(fen: int, sign: bool = False) -> str:
    """Integer fen as yuan with two decimals, e.g. 2850 -> "28.50" (no float on the way)."""
    neg = fen < 0
    whole, cents = divmod(abs(fen), 100)
    text = f"{whole:,}.{cents:02d}"
    if neg:
        return "-" + text
    return ("+" + text) if sign and fen > 0 else text
