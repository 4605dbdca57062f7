"""deploy/install.sh into a temporary root (STORE_EDGE_ROOT: no user, no apt, no systemctl): the layout,
units systemd accepts, the service started from the installed layout as systemd would start it, an
upgrade in place that keeps the store and its keys, and an uninstall that keeps the data."""

import json
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from edge.service_config import load

from ops_support import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("store-edge.service", "store-edge-backup.service", "store-edge-backup.timer")


def _run(script: str, root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORE_EDGE_ROOT": str(root)}
    env.pop("STORE_EDGE_CONFIG", None)
    return subprocess.run(["bash", str(ROOT / "deploy" / script), *args], capture_output=True, text=True,
                          timeout=600, env=env, check=False)


def _keys(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(lane|manager|hq) key:\s+(se_\S+)$", stdout, re.MULTILINE))


class Installed:
    def __init__(self, root: Path, port: int, first: subprocess.CompletedProcess) -> None:
        self.root, self.port, self.first = root, port, first
        self.config = root / "etc" / "store-edge" / "config.toml"
        self.data_dir = root / "var" / "lib" / "store-edge"
        self.units = root / "etc" / "systemd" / "system"
        self.current = root / "opt" / "store-edge" / "current"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("root")
    port = free_port()
    first = _run("install.sh", root, "--store-id", "inst-001", "--name", "安装测试店 Install Test", "--port", str(port),
                 "--public-url", f"http://192.0.2.10:{port}")
    assert first.returncode == 0, first.stdout + first.stderr
    return Installed(root, port, first)


def test_the_layout_config_store_and_keys_are_made_once(installed):
    assert installed.current.is_symlink() and (installed.current / "venv" / "bin" / "store-edge").exists()
    config = load(installed.config)  # the commented example, filled in, and valid
    assert Path(config.data_dir) == installed.data_dir and config.http.port == installed.port
    assert config.log.format == "json" and config.http.trusted_proxies == []
    assert "# " in installed.config.read_text()  # the comments came along
    keys = _keys(installed.first.stdout)
    assert set(keys) == {"lane", "manager", "hq"} and keys["lane"].startswith("se_lane_")
    assert "NOT shown again" in installed.first.stdout
    with sqlite3.connect(installed.data_dir / "store.db") as conn:
        assert conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone() == ("inst-001",)
        assert conn.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").fetchone() == (3,)


def test_the_units_are_hardened_and_systemd_accepts_them(installed):
    service = (installed.units / "store-edge.service").read_text()
    for setting in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes", "PrivateTmp=yes",
                    "ProtectSystem=strict", f"ReadWritePaths={installed.data_dir}", "RestartPreventExitStatus=78"):
        assert setting in service
    assert "@" not in "".join(line for line in service.splitlines() if not line.startswith(("#", "SystemCall")))
    assert "OnCalendar=hourly" in (installed.units / "store-edge-backup.timer").read_text()
    verify = subprocess.run(["systemd-analyze", "verify", *(str(installed.units / u) for u in UNITS)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr


def _unit_command(installed: Installed, unit: str) -> tuple[list[str], dict[str, str]]:
    lines = (installed.units / unit).read_text().splitlines()
    command = shlex.split(next(line.split("=", 1)[1] for line in lines if line.startswith("ExecStart=")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORE_EDGE_", "NOTIFY_", "WATCHDOG_"))}
    for line in lines:
        if line.startswith("Environment="):
            name, value = line.split("=", 1)[1].split("=", 1)
            env[name] = value
    return command, env


def test_the_service_starts_from_the_installed_layout_as_systemd_runs_it(installed, tmp_path):
    command, env = _unit_command(installed, "store-edge.service")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(30)
    env |= {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "200000"}  # as WatchdogSec= sets
    log = tmp_path / "service.log"
    with open(log, "wb") as out, notify:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd="/")
        try:
            messages = [notify.recv(4096).decode() for _ in range(3)]
            assert messages[0].startswith("READY=1") and messages[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
            url = f"http://127.0.0.1:{installed.port}"
            wait_healthy(url, proc, log)
            health = httpx.get(f"{url}/healthz").json()
            assert health["ok"] and health["store_id"] == "inst-001"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        while (message := notify.recv(4096)) == b"WATCHDOG=1":  # pings sent before the stop (bounded: timeout)
            pass
        assert message == b"STOPPING=1"
    assert all(json.loads(line)["ts"] for line in log.read_text().splitlines() if line.strip())  # JSON logs
    backup_cmd, backup_env = _unit_command(installed, "store-edge-backup.service")
    backup = subprocess.run(backup_cmd, env=backup_env, capture_output=True, text=True, timeout=120, check=False)
    assert backup.returncode == 0 and "integrity ok" in backup.stdout, backup.stderr
    assert list((installed.data_dir / "backups").glob("store-edge-inst-001-*.db"))


def test_running_it_again_upgrades_in_place_and_keeps_the_store(installed):
    with sqlite3.connect(installed.data_dir / "store.db") as conn:
        conn.execute("INSERT INTO store_meta (key, value) VALUES ('test.kept', 'yes')")
    installed.config.write_text(installed.config.read_text().replace("access_log = false", "access_log = true"))
    before = os.readlink(installed.current)
    again = _run("install.sh", installed.root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "keeping" in again.stdout and " key:" not in again.stdout  # no new keys printed
    assert os.readlink(installed.current) != before and Path(before).exists()  # the previous release stays
    assert "access_log = true" in installed.config.read_text()  # the operator's edit survives
    with sqlite3.connect(installed.data_dir / "store.db") as conn:
        assert conn.execute("SELECT value FROM store_meta WHERE key = 'test.kept'").fetchone() == ("yes",)
        assert conn.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").fetchone() == (3,)


def test_uninstall_keeps_the_data_unless_told(installed, tmp_path):
    copy = tmp_path / "root"
    shutil.copytree(installed.root, copy, symlinks=True)
    done = _run("uninstall.sh", copy)
    assert done.returncode == 0, done.stderr
    assert not (copy / "opt" / "store-edge").exists()
    assert not any((copy / "etc" / "systemd" / "system").glob("store-edge*"))
    assert (copy / "var" / "lib" / "store-edge" / "store.db").exists()
    assert (copy / "etc" / "store-edge" / "config.toml").exists()
    purged = _run("uninstall.sh", copy, "--purge")
    assert purged.returncode == 0 and not (copy / "var" / "lib" / "store-edge").exists()
    assert not (copy / "etc" / "store-edge").exists()


def test_a_first_install_without_a_store_id_says_what_is_missing(tmp_path):
    done = _run("install.sh", tmp_path)
    assert done.returncode != 0 and "--store-id and --name" in done.stderr
