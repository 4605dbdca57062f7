"""Getting bytes to a printer: raw TCP (port 9100), a device file (USB or serial), or a plain file.

Every way has a deadline: a printer that is off, refuses, takes the bytes and never reads them, or
closes halfway makes `send` raise `PrintFailed` within the deadline, never hang. Over TCP the
printer is asked for its status before and after the job (`DLE EOT 1` and `DLE EOT 4`): before,
so no receipt is sent into a printer without paper; after, because the answer comes only once the
printer has read everything before it, which is what "printed" means on a raw socket (the bytes
alone could sit in the socket buffers of a printer that never reads).
"""

import errno
import os
import select
import socket
import time
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from msgspec import Struct

DLE_EOT = b"\x10\x04"
ASK_PRINTER, ASK_PAPER = DLE_EOT + b"\x01", DLE_EOT + b"\x04"
DEFAULT_TIMEOUT = 10.0  # seconds for a whole job: a receipt is a few KB (text) to 80 KB (raster)
CONNECT_TIMEOUT = 3.0
STATUS_TIMEOUT = 3.0
CHUNK = 4096


class PrintFailed(Exception):
    """The printer did not take the job; the message says why, in words a manager can act on."""


class BadPrinterUrl(ValueError):
    """A transport URL that names no printer this service can reach."""


class PrinterAddress(Struct, frozen=True, kw_only=True):
    kind: Literal["tcp", "device", "file"]
    url: str
    host: str = ""
    port: int = 9100
    path: str = ""
    timeout: float = DEFAULT_TIMEOUT
    status: bool = False  # ask the printer's status around the job (TCP printers answer DLE EOT)


class Sent(Struct, frozen=True):
    bytes_sent: int
    note: str  # e.g. "paper near end", "" when all is well


def parse_url(url: str) -> PrinterAddress:
    """`tcp://10.0.0.5:9100`, `/dev/usb/lp0` (or `device:///dev/usb/lp0`), `file:///var/spool/r.bin`;
    options as a query: `?timeout=10` (seconds), `?status=off` for a TCP printer that does not
    answer status requests."""
    if not isinstance(url, str) or not url or len(url) > 300 or any(ord(c) < 33 for c in url):
        raise BadPrinterUrl("a printer URL is one line without spaces, at most 300 characters")
    if url.startswith("/dev/"):
        url = "device://" + url
    parts = urlsplit(url)
    try:
        query = {k: v[-1] for k, v in parse_qs(parts.query, strict_parsing=bool(parts.query)).items()}
    except ValueError as exc:
        raise BadPrinterUrl(f"unreadable options: {parts.query}") from exc
    unknown = set(query) - {"timeout", "status"}
    if unknown:
        raise BadPrinterUrl(f"unknown option {sorted(unknown)[0]} (timeout, status)")
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
    except ValueError as exc:
        raise BadPrinterUrl("timeout must be a number of seconds") from exc
    if not 0.05 <= timeout <= 120:
        raise BadPrinterUrl("timeout must be between 0.05 and 120 seconds")
    status_opt = query.get("status", "")
    if status_opt not in ("", "on", "off"):
        raise BadPrinterUrl("status must be on or off")
    if parts.scheme == "tcp":
        try:
            port = parts.port or 9100
        except ValueError as exc:
            raise BadPrinterUrl("the port must be a number from 1 to 65535") from exc
        host = parts.hostname or ""
        if not host or parts.path not in ("", "/") or parts.username or parts.password:
            raise BadPrinterUrl("a network printer is tcp://HOST[:PORT], e.g. tcp://10.0.0.5:9100")
        return PrinterAddress(kind="tcp", url=url, host=host, port=port, timeout=timeout,
                              status=status_opt != "off")
    if parts.scheme in ("device", "file"):
        if parts.netloc or not parts.path.startswith("/") or "\x00" in parts.path:
            raise BadPrinterUrl(f"a {parts.scheme} printer needs an absolute path, e.g. "
                                f"{'/dev/usb/lp0' if parts.scheme == 'device' else 'file:///var/spool/receipts.bin'}")
        if parts.scheme == "device" and not parts.path.startswith("/dev/"):
            raise BadPrinterUrl("a device printer is a path under /dev/, e.g. /dev/usb/lp0")
        return PrinterAddress(kind=parts.scheme, url=url, path=parts.path, timeout=timeout)  # type: ignore[arg-type]
    raise BadPrinterUrl("a printer URL starts with tcp://, /dev/ or file://")


def send(address: PrinterAddress, data: bytes) -> Sent:
    """Deliver `data` to the printer within its deadline, or raise PrintFailed."""
    deadline = time.monotonic() + address.timeout
    if address.kind == "tcp":
        return _send_tcp(address, data, deadline)
    if address.kind == "device":
        return _send_device(address.path, data, deadline)
    return _send_file(address.path, data)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _send_tcp(a: PrinterAddress, data: bytes, deadline: float) -> Sent:
    where = f"{a.host}:{a.port}"
    try:
        sock = socket.create_connection((a.host, a.port), timeout=min(CONNECT_TIMEOUT, _left(deadline)))
    except ConnectionRefusedError as exc:
        raise PrintFailed(f"{where} refused the connection (printer off, or not a raw-print port)") from exc
    except TimeoutError as exc:
        raise PrintFailed(f"{where} did not answer (printer off or unplugged from the network)") from exc
    except OSError as exc:
        raise PrintFailed(f"cannot reach {where}: {exc.strerror or exc}") from exc
    with sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        note = ""
        if a.status:
            note = _check_status(sock, deadline, where, before=True)
        sent = 0
        try:
            view = memoryview(data)
            while sent < len(data):
                sock.settimeout(_left(deadline))
                sent += sock.send(view[sent:sent + CHUNK])
        except TimeoutError as exc:
            raise PrintFailed(f"{where} stopped taking data after {sent} of {len(data)} bytes "
                              "(paper jam, cover open, or busy)") from exc
        except OSError as exc:
            raise PrintFailed(f"{where} closed the connection after {sent} of {len(data)} bytes") from exc
        if a.status:
            note = _check_status(sock, deadline, where, before=False) or note
        return Sent(sent, note)


def _check_status(sock: socket.socket, deadline: float, where: str, before: bool) -> str:
    """Ask the printer's status and paper sensor; raise PrintFailed when it cannot print."""
    when = "before" if before else "after"
    try:
        sock.settimeout(min(STATUS_TIMEOUT, _left(deadline)))
        sock.sendall(ASK_PRINTER + ASK_PAPER)
        answer = b""
        while len(answer) < 2:
            chunk = sock.recv(2 - len(answer))
            if not chunk:
                raise PrintFailed(f"{where} closed the connection {when} the job")
            answer += chunk
    except TimeoutError as exc:
        verb = "read nothing" if before else "did not finish reading the job"
        raise PrintFailed(f"{where} {verb} and did not answer a status request {when} the job "
                          "(busy, or set status=off if this printer never answers)") from exc
    except OSError as exc:
        raise PrintFailed(f"{where} closed the connection {when} the job") from exc
    printer, paper = answer
    if printer & 0x93 != 0x12 or paper & 0x93 != 0x12:
        raise PrintFailed(f"{where} answered status {answer.hex()}, not an ESC/POS status")
    if paper & 0x60:
        raise PrintFailed(f"{where} is out of paper")
    if printer & 0x08:
        raise PrintFailed(f"{where} is offline (cover open or paper out)")
    return "paper near end" if paper & 0x0C else ""


def _send_device(path: str, data: bytes, deadline: float) -> Sent:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError as exc:
        raise PrintFailed(f"no printer at {path} (unplugged?)") from exc
    except OSError as exc:
        raise PrintFailed(f"cannot open {path}: {exc.strerror}") from exc
    sent = 0
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        while sent < len(data):
            try:
                sent += os.write(fd, data[sent:sent + CHUNK])
            except BlockingIOError:
                if not poller.poll(_left(deadline) * 1000):
                    raise TimeoutError from None
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                raise PrintFailed(f"{path} failed after {sent} of {len(data)} bytes: {exc.strerror}") from exc
    except TimeoutError as exc:
        raise PrintFailed(f"{path} stopped taking data after {sent} of {len(data)} bytes") from exc
    finally:
        os.close(fd)
    return Sent(sent, "")


def _send_file(path: str, data: bytes) -> Sent:
    target = Path(path)
    try:
        with target.open("ab") as f:
            f.write(data)
    except OSError as exc:
        raise PrintFailed(f"cannot write {path}: {exc.strerror}") from exc
    return Sent(len(data), "")
