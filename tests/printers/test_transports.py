"""Transports: a good printer gets the job and answers its status; a bad one fails within the
deadline with a reason a manager can act on, and never hangs the caller."""

from pathlib import Path

import pytest

from printers.transports import BadPrinterUrl, PrintFailed, parse_url, send

from escpos_stream import parse
from fake_printer import FakePrinter

JOB = b"\x1b@\x1c&" + "小票 receipt\n".encode("gb18030") * 200 + b"\x1dVB\x00"


def test_a_good_printer_gets_the_whole_job_between_two_status_requests() -> None:
    with FakePrinter("good") as printer:
        sent = send(parse_url(printer.url()), JOB)
        assert printer.wait_for(lambda p: len(p.jobs) == 1)
    assert sent.bytes_sent == len(JOB) and sent.note == ""
    got = printer.jobs[0]
    assert got[6:-6] == JOB  # the job, between the status requests before and after it
    assert parse(got).status_requests == [1, 4, 1, 4]


def test_a_printer_out_of_paper_is_not_sent_the_job() -> None:
    with FakePrinter("paper_out") as printer:
        with pytest.raises(PrintFailed, match="out of paper"):
            send(parse_url(printer.url()), JOB)
        assert printer.wait_for(lambda p: len(p.jobs) == 1)
    assert printer.jobs[0] == b"\x10\x04\x01\x10\x04\x04"


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("refuses", "refused the connection"),
    ("never_reads", "did not answer a status request"),
    ("close_halfway", "closed the connection"),
])
def test_a_bad_printer_fails_within_the_deadline(behaviour: str, reason: str) -> None:
    with FakePrinter(behaviour) as printer:
        with pytest.raises(PrintFailed, match=reason):
            send(parse_url(printer.url(timeout=1)), JOB * 20)


def test_a_printer_that_never_reads_without_status_requests_fails_when_its_buffers_fill() -> None:
    with FakePrinter("never_reads") as printer:
        with pytest.raises(PrintFailed, match="stopped taking data"):
            send(parse_url(printer.url(timeout=0.5, status="off")), JOB * 2000)  # ~5 MB: more than buffers hold


def test_file_printer_appends_each_job(tmp_path: Path) -> None:
    target = tmp_path / "spool.bin"
    address = parse_url(f"file://{target}")
    send(address, b"one")
    send(address, b"two")
    assert target.read_bytes() == b"onetwo"


def test_device_printer_writes_and_reports_a_device_error() -> None:
    assert send(parse_url("/dev/null"), JOB).bytes_sent == len(JOB)
    with pytest.raises(PrintFailed, match="/dev/full"):
        send(parse_url("/dev/full"), JOB)
    with pytest.raises(PrintFailed, match="unplugged"):
        send(parse_url("/dev/usb/lp9-not-here"), JOB)


@pytest.mark.parametrize("url", ["", "http://10.0.0.5", "tcp://", "tcp://10.0.0.5:99999", "tcp://h:9100/x",
                                 "file://relative", "device:///etc/passwd", "tcp://h?timeout=0",
                                 "tcp://h?colour=red", "tcp://h?status=maybe", "tcp://a b", "x" * 400])
def test_urls_that_name_no_printer_are_refused(url: str) -> None:
    with pytest.raises(BadPrinterUrl):
        parse_url(url)


def test_urls_that_name_printers() -> None:
    tcp = parse_url("tcp://10.0.0.5")
    assert (tcp.kind, tcp.host, tcp.port, tcp.status) == ("tcp", "10.0.0.5", 9100, True)
    assert parse_url("tcp://printer.local:9101?status=off&timeout=4").timeout == 4
    assert parse_url("/dev/usb/lp0").path == "/dev/usb/lp0"
    assert parse_url("file:///var/spool/r.bin").kind == "file"
