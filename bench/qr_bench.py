"""How long a checkout QR PNG (cold and cached) and a standee poster take to make.

Run: .venv/bin/python bench/qr_bench.py
Targets (issue 3): a checkout QR under 10 ms cached, a poster under 300 ms. Each figure is printed
beside a floor measured in the same run on this machine (signing a token: the least a QR needs).
"""

import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime

from edge.domain import tokens
from printers.posters import poster_bytes
from printers.qr import qr_png

KEY = b"k" * 32
BASE = "http://192.168.1.20:8000/j/"  # a store LAN address, as a real display would encode
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def timed(fn, n: int) -> list[float]:  # noqa: ANN001
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def show(name: str, ms: list[float], target: float | None = None) -> None:
    p50, p95 = statistics.median(ms), sorted(ms)[int(len(ms) * 0.95) - 1]
    verdict = "" if target is None else ("  ok" if p95 < target else f"  OVER target {target} ms")
    print(f"{name:<34} n={len(ms):<4} p50 {p50:8.3f} ms  p95 {p95:8.3f} ms{verdict}")


def main() -> None:
    urls = [BASE + tokens.sign(KEY, tokens.checkout_token(f"01935f3e-7a1b-7c2d-8e9f-{i:012d}", NOW))
            for i in range(200)]
    print(f"checkout join URL: {len(urls[0])} characters")
    show("floor: sign a checkout token", timed(
        lambda i: tokens.sign(KEY, tokens.checkout_token(f"co-{i}", NOW)), 200))
    show("checkout QR PNG, cold", timed(lambda i: qr_png(urls[i]), 200))
    show("checkout QR PNG, cached", timed(lambda i: qr_png(urls[i % 10]), 1000), target=10)
    standee_url = BASE + tokens.sign(KEY, tokens.standee_token("01935f3e-7a1b-7c2d-8e9f-000000000001"))
    for size in ("a4", "a5", "80mm"):
        for fmt in ("png", "pdf"):
            show(f"poster {size} {fmt}", timed(lambda i, s=size, f=fmt: poster_bytes(
                s, f, store_name="演示咖啡 Demo Coffee", url=standee_url, short_url="192.168.1.20:8000/s/K7Q2XM",
                label="门口 door"), 10), target=300)


def over_http() -> None:
    """The display's request for its checkout QR, in process over the real app, beside /healthz."""
    from litestar.testing import TestClient

    from edge.app import create_app
    from edge.services.runtime import StoreRuntime
    from edge.services.setup import demo_config, init_store, seed_demo

    logging.disable(logging.INFO)  # the app logs every request at INFO; the figures are the output
    with tempfile.TemporaryDirectory() as tmp:
        init_store(tmp, demo_config())
        lane = seed_demo(tmp)["lane"]
        store = StoreRuntime(tmp)
        try:
            with TestClient(create_app(store)) as client:
                auth = {"Authorization": f"Bearer {lane}"}
                quote = client.post("/api/v1/checkouts/quote", headers=auth, json={
                    "lane_id": "L1", "cashier_id": "C1", "lines": [{"sku": "LATTE", "qty": 1}]}).json()
                path = "/j/" + quote["join"]["qr_png_url"].split("/j/", 1)[1]
                show("HTTP floor: GET /healthz", timed(lambda i: client.get("/healthz"), 300))
                show("HTTP checkout QR PNG, cached", timed(lambda i: client.get(path), 300), target=10)
                show("HTTP quote with join offer", timed(lambda i: client.post(
                    "/api/v1/checkouts/quote", headers=auth, json={"lane_id": "L1", "cashier_id": "C1",
                    "checkout_id": quote["checkout_id"], "lines": [{"sku": "LATTE", "qty": 1}]}), 300))
        finally:
            store.close()


if __name__ == "__main__":
    main()
    over_http()
