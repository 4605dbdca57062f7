"""What a string may hold where it enters: ids, printable text, and bounded integers.

One rule per kind of value, shared by every wire type, path and query parameter:

- ids match their whole pattern. msgspec checks `pattern` with `re.search`, and Python's `$` also
  matches before a trailing newline, so `^…$` lets "A1\\n" through to be stored and later copied
  into a header or a log line. `\\A…\\Z` anchors the whole string.
- text that can reach an image, a receipt, a printer or a log line carries no control or
  direction-override characters: a poster's text shaper fails on U+001E, and a line break or a
  right-to-left override in a label or a reason forges what a person or a log reader sees.
- integers stay within what SQLite stores (int64) and what a JSON reader keeps exactly (2**53).
"""

import re
from typing import Annotated

from msgspec import Meta

# C0 and C1 controls, DEL, line and paragraph separators, bidi embeddings/overrides/isolates,
# the byte-order mark, and lone surrogates (they cannot be encoded as UTF-8 at all)
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"  # as escapes: the
# pattern is shown in the OpenAPI document, which cannot carry a lone surrogate
CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")
PRINTABLE_PATTERN = f"\\A[^{_CONTROLS}]*\\Z"
ID_PATTERN = r"\A[A-Za-z0-9_.:\-]+\Z"

INT64_MAX = 2**63 - 1
WIRE_INT_MAX = 2**53 - 1  # the largest integer every JSON reader (JavaScript too) keeps exactly

Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=ID_PATTERN)]
Seq = Annotated[int, Meta(ge=0, le=INT64_MAX)]  # a sequence number: SQLite's INTEGER holds it


# bound its length where used: Annotated[Printable, Meta(max_length=60)]
Printable = Annotated[str, Meta(pattern=PRINTABLE_PATTERN)]


_BREAKS = re.compile("[\t\n\v\f\r\u2028\u2029]+")


def strip_controls(text: str) -> str:
    """`text` without control characters (line breaks and tabs become a space): for text stored
    before the input rule, on its way to an image, a receipt or a printer."""
    return CONTROL_CHARACTERS.sub("", _BREAKS.sub(" ", text))


def full_match(pattern: str) -> bool:
    """True when `pattern` anchors the whole string (`\\A…\\Z`), the form every id pattern takes."""
    return pattern.startswith("\\A") and pattern.endswith("\\Z")
