"""Caller-chosen values on their way into a log line: escaped, so one request is one line.

A decoded path (`/x%0A2026-01-01 INFO forged`) or an exception message quoting a body would
otherwise write a line of the caller's choosing. Control characters, non-ASCII and backslashes
are escaped as Python escapes; a request's own raw bytes are logged, never its decoded text.
"""

MAX_FIELD = 512  # a log field longer than this is cut: a 256 KiB body quoted in an error is not a log line


def log_text(value: str | bytes, limit: int = MAX_FIELD) -> str:
    """`value` as one printable ASCII field: bytes as latin-1, then backslash escapes for the rest."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text  # the usual path: nothing to escape, no copy
    return text.encode("unicode_escape").decode("ascii")
