"""Log lines for the journal: one JSON object (or one logfmt line) per record, without personal data.

The service's own log calls never pass phones or payer ids, and the access log never records query
strings. This formatter is the last line of defence for everything else that logs through the
process (a library's message, an exception's text): mainland mobile numbers and long digit runs are
masked before a line is written, and control characters cannot forge a second line.
"""

import logging
import re
import sys
import time
from typing import Literal

import msgspec

LogFormat = Literal["json", "logfmt", "text"]
FORMATS: tuple[str, ...] = ("json", "logfmt", "text")

# +86 / 0086 / bare 1[3-9]x mobiles, with the spaces and dashes people type; then any run of 11+
# digits (card numbers, other ids): longer than any count or amount the service logs
_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{11,}(?!\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName", "color_message"}
_encode = msgspec.json.Encoder().encode


def scrub(text: str) -> str:
    """Mask phone numbers and long digit runs in a message."""
    text = _PHONE.sub("[phone]", text)
    return _LONG_DIGITS.sub("[digits]", text)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    message = record.getMessage()
    if record.exc_info:
        message += "\n" + logging.Formatter().formatException(record.exc_info)
    out: dict[str, object] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": scrub(message),
    }
    for key, value in vars(record).items():  # `extra={...}` fields, scrubbed the same way
        if key not in _STANDARD and not key.startswith("_"):
            out[key] = scrub(value) if isinstance(value, str) else value
    return out


class JsonFormatter(logging.Formatter):
    """`{"ts": …, "level": …, "logger": …, "msg": …}`: journalctl -o cat | jq reads it."""

    def format(self, record: logging.LogRecord) -> str:
        return _encode(_fields(record)).decode()


def _logfmt_value(value: object) -> str:
    text = value if isinstance(value, str) else _encode(value).decode()
    text = _CONTROL.sub(" ", text)
    if text and not any(c in text for c in ' ="\\\n'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    """`ts=… level=info logger=… msg="…"`: one line per record, greppable."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record).items())


class TextFormatter(logging.Formatter):
    """The developer's format, scrubbed the same way."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(" ", scrub(super().format(record)))


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    if fmt == "logfmt":
        return LogfmtFormatter()
    if fmt == "text":
        return TextFormatter()
    raise ValueError(f"log format {fmt!r}: choose one of {', '.join(FORMATS)}")


def configure_logging(fmt: str = "text", level: str | int = "INFO") -> None:
    """One handler on the root logger, to stderr (the journal under systemd); uvicorn's loggers and
    every library's propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
