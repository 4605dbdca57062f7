"""Path and query parameter types: every value taken from a URL is checked where it enters.

Litestar hands path values over percent-decoded, so `/display/L1%0D%0ALocation:…` reaches a handler
as text with a line break in it; ids here match their whole pattern (see `edge.domain.text`), and
integers stay within SQLite's int64.
"""

from typing import Annotated

from litestar.params import PathParameter

from ..domain.text import ID_PATTERN, INT64_MAX

# Litestar checks a path value against its Parameter's constraints (a msgspec Meta on the type is
# only documented, not enforced, for path values)
PathId = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=ID_PATTERN)]
PathSeq = Annotated[int, PathParameter(ge=0, le=INT64_MAX)]
# signed tokens (QR invitations, member sessions): base64url parts joined by dots; the signature
# check refuses anything else, this only bounds what reaches it
PathToken = Annotated[str, PathParameter(min_length=1, max_length=512, pattern=r"\A[A-Za-z0-9_.\-=~]+\Z")]
