"""Helpers for scan-to-join tests: decode QR images, fill the join form like a browser would."""

import io
import re

import zxingcpp
from PIL import Image


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG (zxing-cpp, the real decoder)."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return found[0].text


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def join_by_form(client, url: str, phone: str = "13800138000", **extra):  # noqa: ANN001
    """GET the join page, then POST its form with the CSRF token it carries; the POST's answer."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.text
    form = {"csrf": csrf_of(page.text), "phone": phone, "consent": "yes", **extra}
    return client.post(path_of(url), data=form, follow_redirects=False)
