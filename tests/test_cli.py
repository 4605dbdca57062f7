"""The command line as scripts and deploy tools drive it: real processes, real ports."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from builders import sale_body
from support import free_port

CLI = [sys.executable, "-m", "edge.cli"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("server did not become healthy")


def start_demo(data: Path, port: int) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start `store-edge demo`; read its banner line and the three `<role> key: <key>` lines."""
    proc = subprocess.Popen([*CLI, "demo", "--data-dir", str(data), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and "demo store" in proc.stdout.readline()
    keys = dict(proc.stdout.readline().strip().split(" key: ") for _ in range(3))
    wait_healthy(f"http://127.0.0.1:{port}", proc)
    return proc, keys


def test_init_then_keys_create_prints_the_key_alone_and_it_opens_the_api(tmp_path: Path):
    data = tmp_path / "s1"
    assert run("init", "--data-dir", str(data), "--store-id", "sh-001", "--name", "上海一店").returncode == 0
    again = run("init", "--data-dir", str(data), "--store-id", "sh-001", "--name", "x")
    assert again.returncode != 0 and "already exists" in again.stderr
    made = run("keys", "create", "--role", "manager", env={"STORE_EDGE_DATA_DIR": str(data)})
    assert made.returncode == 0
    key = made.stdout.strip()
    assert made.stdout == key + "\n" and key.startswith("se_manager_")
    listing = run("keys", "list", "--data-dir", str(data)).stdout
    assert "manager" in listing and key not in listing

    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--data-dir", str(data), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        assert httpx.get(f"{url}/api/v1/reports/join-rate", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        key_id = listing.split()[0]
        rotated = run("keys", "rotate", key_id, "--data-dir", str(data))
        assert rotated.returncode == 0 and rotated.stdout.strip().startswith("se_manager_")
        assert run("keys", "revoke", key_id, "--data-dir", str(data)).returncode != 0  # rotation revoked it
        new_id = run("keys", "list", "--data-dir", str(data)).stdout.splitlines()[-1].split()[0]
        assert new_id != key_id and run("keys", "revoke", new_id, "--data-dir", str(data)).returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_demo_prints_a_key_per_role_and_serves_the_demo_store(tmp_path: Path):
    port = free_port()
    proc, keys = start_demo(tmp_path / "demo", port)
    try:
        assert set(keys) == {"lane", "manager", "hq"}
        url = f"http://127.0.0.1:{port}"
        catalog = httpx.get(f"{url}/api/v1/catalog", headers={"Authorization": f"Bearer {keys['lane']}"}).json()
        assert {"LATTE", "CROISSANT"} <= {i["sku"] for i in catalog}
        assert any(i["perishable"] for i in catalog)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_sale_answered_201_is_there_after_the_server_is_killed(tmp_path: Path):
    """SIGKILL right after the answers: nothing acknowledged may be missing on restart."""
    data = tmp_path / "crash"
    port = free_port()
    proc, keys = start_demo(data, port)
    url = f"http://127.0.0.1:{port}"
    acknowledged = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys['lane']}"}, timeout=10) as c:
        for n in range(30):
            r = c.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id=f"crash-{n}"))
            if r.status_code == 201:
                acknowledged.append(f"crash-{n}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(acknowledged) == 30

    port2 = free_port()
    proc2 = subprocess.Popen([*CLI, "serve", "--data-dir", str(data), "--port", str(port2)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url2 = f"http://127.0.0.1:{port2}"
        wait_healthy(url2, proc2)
        with httpx.Client(base_url=url2, headers={"Authorization": f"Bearer {keys['lane']}"}, timeout=10) as c:
            for sale_id in acknowledged:  # a replay answers 201 with the stored sale: it is there
                assert c.post("/api/v1/sales", json=sale_body(("LATTE", 1), sale_id=sale_id)).status_code == 201
        assert httpx.get(f"{url2}/healthz").json()["outbox_depth"] == 30
    finally:
        proc2.terminate()
        proc2.wait(timeout=20)
