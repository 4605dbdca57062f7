"""Real-browser fixtures: Debian's chromium driven by Playwright, against uvicorn on 127.0.0.1."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo

from support import Api, LiveServer, MovableClock, free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
FRIDAY_10AM_SHANGHAI = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # member day: member pricing shows


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module: each test module imports this fixture, and one Playwright must stop before the next starts.
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def site(tmp_path: Path, clock: MovableClock) -> Iterator[tuple[str, Api, StoreRuntime]]:
    """A demo store served on a free port whose QR codes point at that port: (base url, api, store)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    init_store(tmp_path / "store", demo_config(base_url=base), clock=clock)
    keys = seed_demo(tmp_path / "store", clock=clock)
    store = StoreRuntime(tmp_path / "store", clock=clock)
    server = LiveServer(store)
    server.port, server.url = port, base
    server.server.config.port = port
    try:
        with server, httpx.Client(base_url=base, timeout=10) as client:
            yield base, Api(client, keys), store
    finally:
        store.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(**PHONE)
    ctx.set_default_timeout(10_000)  # bounded waits on conditions, never sleeps
    yield ctx
    ctx.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()
