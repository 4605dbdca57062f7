"""The demo on a fresh machine: it prints a standee join URL that works, `GET /` leads to the pages, and
a machine without a CJK font answers posters with a problem naming the font, not a 500."""

import os
import signal
import subprocess
import sys
import time

import httpx

from ops_support import Served, free_port


def test_the_demo_prints_a_working_standee_join_url_and_a_front_page(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "demo", "--data-dir", str(tmp_path / "demo"),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        printed: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while "start page" not in printed and time.monotonic() < deadline:  # bounded by the deadline
            line = proc.stdout.readline()
            if not line:
                break
            if ": " in line:
                name, value = line.split(": ", 1)
                printed[name] = value.strip()
        join_url = printed["join (standee at the door)"]
        assert join_url.startswith(f"http://127.0.0.1:{port}/j/")
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # the server comes up after the banner
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        page = httpx.get(join_url)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "Join now" in httpx.get(join_url + "?lang=en").text
        home = httpx.get(f"{base}/")
        assert home.status_code == 200
        for link in ('href="/till"', 'href="/manager"', 'href="/schema/swagger"'):
            assert link in home.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_without_a_cjk_font_a_poster_is_a_problem_naming_the_font(store_dir):
    data_dir, keys = store_dir
    env = {**os.environ, "STORE_EDGE_CJK_FONT": "/nonexistent/NotoSansCJK-Regular.ttc"}
    with Served(data_dir, env=env) as served:
        manager = {"Authorization": f"Bearer {keys['manager']}"}
        made = httpx.post(f"{served.url}/api/v1/standees", headers=manager, json={"label": "Door"})
        assert made.status_code == 201, made.text
        poster = httpx.get(f"{served.url}/api/v1/standees/{made.json()['standee_id']}/poster.png", headers=manager)
    assert poster.status_code == 503
    assert poster.headers["content-type"].startswith("application/problem+json")
    problem = poster.json()
    assert problem["type"].endswith("font-missing") and "STORE_EDGE_CJK_FONT" in problem["detail"]
    assert problem["errors"][0]["field"] == "font" and "fonts-noto-cjk" in problem["errors"][0]["reason"]
