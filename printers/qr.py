"""QR codes as PNG bytes, cached: the customer display asks for the same checkout QR on every refresh."""

import io
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_image(text: str, module_px: int = 8) -> Image.Image:
    """The QR of `text` at error correction M, `module_px` pixels per module, with its quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    # One byte per module, then a nearest-neighbour scale: much faster than drawing each box.
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (size, size), raw)
    return small.resize((size * module_px, size * module_px), Image.NEAREST).convert("1")


@lru_cache(maxsize=512)
def qr_png(text: str, module_px: int = 8) -> bytes:
    """PNG bytes of the QR of `text`; repeated texts come from the cache."""
    buf = io.BytesIO()
    qr_image(text, module_px).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
