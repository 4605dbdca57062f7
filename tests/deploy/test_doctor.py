"""`store-edge doctor`: each finding is a line saying what to fix; the exit code is 0, 1 or 2."""

import json
import socket
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from edge.service_config import ServiceConfig, load
from edge.services import doctor
from edge.services.backup import take_backup

from ops_support import Served, cli


def _config(tmp_path: Path, data_dir: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'data_dir = "{data_dir}"\n[backup]\ndir = "{tmp_path / "backups"}"\nmax_age_hours = 2\n'
                    f'[doctor]\nmin_free_mb = 1\n{extra}')
    return path


class FakeHq:
    """An HTTP server whose Date header runs `offset` from real time."""

    def __init__(self, offset: timedelta) -> None:
        offset_ = offset

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response_only(200)
                self.send_header("Date", format_datetime(datetime.now(UTC) + offset_, usegmt=True))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHq":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_healthy_served_store_with_a_fresh_backup_printer_and_hq_is_all_ok(store_dir, tmp_path):
    data_dir, _ = store_dir
    printer = socket.create_server(("127.0.0.1", 0))  # a printer that takes connections on its port
    with printer, FakeHq(timedelta(seconds=2)) as hq:
        config = _config(tmp_path, data_dir, f'[hq]\nurl = "{hq.url}"\n')
        added = cli("printers", "add", "--name", "receipt-L1", "--url", f"tcp://127.0.0.1:{printer.getsockname()[1]}",
                    "--lanes", "L1", "--data-dir", str(data_dir))
        assert added.returncode == 0, added.stderr
        assert cli("backup", "--config", str(config)).returncode == 0
        with Served(data_dir):
            done = cli("doctor", "--config", str(config))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert all(line.startswith("ok") for line in lines), done.stdout
    checks = {line.split()[1] for line in lines}
    assert {"config", "database", "wal", "keys", "disk", "fonts", "backup", "service", "hq", "clock",
            "printer"} <= checks


def test_problems_each_say_what_to_fix_and_set_the_exit_code(store_dir, tmp_path):
    data_dir, _ = store_dir
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the printer is off
    with FakeHq(timedelta(minutes=10)) as hq:
        config = _config(tmp_path, data_dir, f'[hq]\nurl = "{hq.url}"\n')
        added = cli("printers", "add", "--name", "receipt-L1", "--url", f"tcp://127.0.0.1:{port}",
                    "--data-dir", str(data_dir))
        assert added.returncode == 0, added.stderr
        done = cli("doctor", "--config", str(config), "--json")
    assert done.returncode == 2
    report = json.loads(done.stdout)
    by_check = {(f["check"], f["status"]): f for f in report["findings"]}
    assert report["status"] == "fail"
    assert "timedatectl set-ntp true" in by_check[("clock", "fail")]["fix"]
    assert "receipt-L1" in by_check[("printer", "fail")]["detail"]
    assert "store-edge-backup.timer" in by_check[("backup", "warn")]["fix"]
    assert "systemctl start store-edge" in by_check[("service", "warn")]["fix"]


def test_an_old_backup_a_missing_font_and_missing_keys_are_named(store_dir, tmp_path, monkeypatch):
    data_dir, _ = store_dir
    config = load(_config(tmp_path, data_dir))
    take_backup(data_dir, tmp_path / "backups", clock=lambda: datetime.now(UTC) - timedelta(hours=5))
    monkeypatch.setenv("STORE_EDGE_CJK_FONT", str(tmp_path / "no-such-font.ttc"))
    with sqlite3.connect(data_dir / "store.db") as conn:
        conn.execute("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE role = 'manager'")
    findings = doctor.run_checks(doctor.DoctorContext(settings=config, data_dir=data_dir))
    bad = {f.check: f for f in findings if f.status != "ok"}
    assert "5.0 h ago" in bad["backup"].detail
    assert "fonts-noto-cjk" in bad["fonts"].fix
    assert bad["keys"].status == "fail" and "--role manager" in bad["keys"].fix
    assert doctor.exit_code(findings) == 2


def test_a_missing_store_and_a_bad_config_file_are_named(tmp_path):
    findings = doctor.run_checks(doctor.DoctorContext(settings=ServiceConfig(), data_dir=tmp_path / "nothing"))
    assert any(f.check == "database" and f.status == "fail" and "store-edge init" in f.fix for f in findings)
    bad = tmp_path / "bad.toml"
    bad.write_text('[http]\nport = "eighty"\n')
    done = cli("doctor", "--config", str(bad))
    assert done.returncode == 78 and "http.port" in done.stderr
