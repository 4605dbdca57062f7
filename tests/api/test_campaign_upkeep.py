"""The server's own upkeep loop releases held points without anyone calling the maintenance endpoint."""

import time
from datetime import timedelta

import httpx

from edge.services import upkeep

from builders import enrol_body, sale_body
from support import LiveServer


def test_the_upkeep_loop_releases_held_points_once_they_are_due(store, store_dir, clock, monkeypatch):
    monkeypatch.setattr(upkeep, "FIRST_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(upkeep, "UPKEEP_SECONDS", 0.05)
    keys = store_dir[1]
    with LiveServer(store) as server, httpx.Client(base_url=server.url, timeout=10,
                                                   headers={"Authorization": f"Bearer {keys['lane']}"}) as c:
        member_id = c.post("/api/v1/members", json=enrol_body()).json()["member_id"]
        assert c.post("/api/v1/sales", json=sale_body(("LATTE", 2), member_id=member_id)).status_code == 201
        clock.set(clock.now + timedelta(days=8))
        deadline = time.monotonic() + 10
        balance = 0
        while balance == 0 and time.monotonic() < deadline:  # bounded wait on the condition
            balance = c.get("/api/v1/members/lookup", params={"member_id": member_id}).json()["points_balance"]
        assert balance == 56
