"""Reading back what a printer was sent: text lines (GB18030 in Chinese mode), QR payloads, raster
images, status requests and cuts, in order. Any byte it does not understand is an error, so a test
fails on a stream a real printer would choke on.

(Imported by name: `from escpos_stream import parse`.)
"""

from dataclasses import dataclass, field

from PIL import Image


class NeedMore(Exception):
    """The stream ends inside a command."""


@dataclass
class Line:
    text: str
    align: int
    bold: bool
    size: int  # GS ! value: 0x00 normal, 0x11 double width and height


@dataclass
class Stream:
    events: list[tuple] = field(default_factory=list)  # ("text", Line) ("qr", str) ("image", Image) ...

    @property
    def lines(self) -> list[Line]:
        return [e[1] for e in self.events if e[0] == "text"]

    @property
    def texts(self) -> list[str]:
        return [ln.text for ln in self.lines]

    @property
    def qrs(self) -> list[str]:
        return [e[1] for e in self.events if e[0] == "qr"]

    @property
    def images(self) -> list[Image.Image]:
        return [e[1] for e in self.events if e[0] == "image"]

    @property
    def status_requests(self) -> list[int]:
        return [e[1] for e in self.events if e[0] == "status"]

    @property
    def cuts(self) -> int:
        return sum(1 for e in self.events if e[0] == "cut")

    @property
    def chinese_mode(self) -> bool:
        return any(e == ("chinese", True) for e in self.events)


# (prefix, count of parameter bytes) for fixed-length commands this project sends or may send
FIXED = {b"\x1b@": 0, b"\x1ba": 1, b"\x1bE": 1, b"\x1b!": 1, b"\x1bd": 1, b"\x1bt": 1, b"\x1bR": 1,
         b"\x1b2": 0, b"\x1b3": 1, b"\x1b-": 1, b"\x1bM": 1, b"\x1bG": 1, b"\x1b{": 1, b"\x1bJ": 1,
         b"\x1d!": 1, b"\x1dB": 1, b"\x1db": 1, b"\x1dL": 2, b"\x1dW": 2, b"\x1c&": 0, b"\x1c.": 0,
         b"\x1c!": 1, b"\x1cC": 1, b"\x10\x04": 1}


def command_end(data: bytes, i: int) -> int:
    """Index just past the command or text byte run starting at `i`; NeedMore if it is cut off."""
    b = data[i]
    if b >= 0x20 or b in (0x0A,):
        return i + 1
    for prefix, n in FIXED.items():
        if data.startswith(prefix, i):
            end = i + len(prefix) + n
            if end > len(data):
                raise NeedMore
            return end
    if len(data) - i < 2:
        raise NeedMore
    two = data[i:i + 2]
    if two == b"\x1dV":
        if len(data) - i < 3:
            raise NeedMore
        return i + 3 + (1 if data[i + 2] in (65, 66, 97, 98, 103, 104) else 0)
    if two in (b"\x1d(", b"\x1dv"):
        if len(data) - i < 3:
            raise NeedMore
        kind = data[i + 2]
        if two == b"\x1dv" and kind == 0x30:
            if len(data) - i < 8:
                raise NeedMore
            xb = data[i + 4] + 256 * data[i + 5]
            h = data[i + 6] + 256 * data[i + 7]
            end = i + 8 + xb * h
        elif two == b"\x1d(" and kind in (0x6B, 0x4C):  # GS ( k  /  GS ( L
            if len(data) - i < 5:
                raise NeedMore
            end = i + 5 + data[i + 3] + 256 * data[i + 4]
        else:
            raise ValueError(f"unknown command {data[i:i + 3]!r} at {i}")
        if end > len(data):
            raise NeedMore
        return end
    raise ValueError(f"unknown command {data[i:i + 2]!r} at {i}")


def parse(data: bytes) -> Stream:
    out = Stream()
    align, bold, size, chinese = 0, False, 0, False
    qr_data = b""
    text = bytearray()
    pending_image: list[Image.Image] = []

    def end_image() -> None:
        if pending_image:  # bands printed back to back are one picture
            width = max(im.width for im in pending_image)
            whole = Image.new("1", (width, sum(im.height for im in pending_image)), 1)
            y = 0
            for im in pending_image:
                whole.paste(im, (0, y))
                y += im.height
            out.events.append(("image", whole))
            pending_image.clear()

    i = 0
    while i < len(data):
        end = command_end(data, i)
        cmd = data[i:end]
        b = data[i]
        if b == 0x0A:
            end_image()
            out.events.append(("text", Line(bytes(text).decode("gb18030" if chinese else "latin-1"),
                                            align, bold, size)))
            text.clear()
        elif b >= 0x20:
            end_image()
            text.append(b)
        elif cmd.startswith(b"\x1dv0"):
            xb, h = cmd[4] + 256 * cmd[5], cmd[6] + 256 * cmd[7]
            pending_image.append(Image.frombytes("1", (xb * 8, h), bytes(cmd[8:]), "raw", "1;I"))
        else:
            end_image()
            if cmd == b"\x1b@":
                align, bold, size, chinese = 0, False, 0, False
                out.events.append(("init",))
            elif cmd.startswith(b"\x1ba"):
                align = cmd[2] % 48
            elif cmd.startswith(b"\x1bE"):
                bold = bool(cmd[2] & 1)
            elif cmd.startswith(b"\x1d!"):
                size = cmd[2]
            elif cmd == b"\x1c&":
                chinese = True
                out.events.append(("chinese", True))
            elif cmd == b"\x1c.":
                chinese = False
            elif cmd.startswith(b"\x10\x04"):
                out.events.append(("status", cmd[2]))
            elif cmd.startswith(b"\x1dV"):
                out.events.append(("cut",))
            elif cmd.startswith(b"\x1d(k"):
                cn, fn = cmd[5], cmd[6]
                if cn == 0x31 and fn == 0x50:
                    qr_data = bytes(cmd[8:])  # after the m byte ('0')
                elif cn == 0x31 and fn == 0x51:
                    out.events.append(("qr", qr_data.decode("utf-8")))
            elif cmd.startswith(b"\x1bd"):
                out.events.append(("feed", cmd[2]))
        i = end
    end_image()
    if text:
        out.events.append(("text", Line(bytes(text).decode("gb18030" if chinese else "latin-1"), align, bold, size)))
    return out
