"""Values that reach a response header: encoded, or refused, never copied in raw.

A header value is latin-1 without CR, LF or other controls. Anything a caller chose (a path value,
a stored id, a label) is percent-encoded first: non-ASCII would make the server fail the answer
(a 500), and CR/LF would make it drop the connection or, worse, start a header of the caller's.
"""

import re
from urllib.parse import quote

_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9!#$&+.^_`|~-]")
# what stays as is in a Location: the URL's own punctuation; everything else is percent-encoded
_URL_SAFE = "/?&=:;,+%@-._~!$'()*[]#"


class UnsafeHeaderValue(ValueError):
    """A value for a header still holds a character no header may carry."""


def content_disposition(disposition: str, filename: str) -> str:
    """`inline` or `attachment` with the file name as RFC 6266: an ASCII `filename` fallback (anything
    outside a token's characters becomes `_`) and the exact name as RFC 5987 `filename*` in UTF-8."""
    fallback = _TOKEN_UNSAFE.sub("_", filename) or "download"
    value = f"{disposition}; filename=\"{fallback}\""
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return checked(value)


def location(url: str) -> str:
    """A redirect target: a path or URL of this service with every other character percent-encoded."""
    return checked(quote(url, safe=_URL_SAFE))


def checked(value: str) -> str:
    """`value` when every character is visible ASCII or a space; UnsafeHeaderValue otherwise."""
    if not value.isascii() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise UnsafeHeaderValue(repr(value))
    return value
