"""The journal flushes by itself: in order, marked as replays, backing off while the edge is down,
asking before re-sending a sale whose answer was lost; against a fake edge that takes offline sales."""

from datetime import timedelta

import httpx
from fakes import FakeEdge, TillClock

from pos_plugin import AutoFlush, EdgeClient, LineIn, OfflineJournal, Payment


def make(tmp_path, **journal_kw):
    edge, clock = FakeEdge(), TillClock()
    client = EdgeClient("http://edge", "se_lane_x", "L1", "C1", retries=0, backoff=lambda a: None, clock=clock,
                        client=httpx.Client(base_url="http://edge", transport=edge.transport()))
    journal = OfflineJournal(tmp_path / "journal.db", clock=clock, **journal_kw)
    return edge, clock, client, journal


def offline_body(client, clock, n: int) -> dict:
    return client.sale_body(f"L1-{n}", [LineIn("LATTE", 1)], Payment("cash", amount_fen=2800 + n),
                            rung_up_at=clock())


def test_waiting_sales_go_in_order_as_replays_once_the_edge_answers_after_backing_off(tmp_path):
    edge, clock, client, journal = make(tmp_path, backoff_base=1.0, backoff_max=8.0)
    for n in range(3):
        journal.add(offline_body(client, clock, n))
    edge.down = True
    tried_at = []
    for _ in range(60):  # 30 s of ticks every half second while the edge is down
        before = journal.last_attempt_at
        journal.tick(client)
        if journal.last_attempt_at != before:
            tried_at.append(clock())
        clock.advance(0.5)
    gaps = [(b - a).total_seconds() for a, b in zip(tried_at, tried_at[1:], strict=False)]
    assert gaps[:4] == [1.0, 2.0, 4.0, 8.0] and set(gaps[4:]) == {8.0}  # doubling, then held at the cap
    status = journal.status()
    assert status.waiting == 3 and status.next_attempt_at > clock() - timedelta(seconds=0.5)
    assert edge.posts == []

    edge.down = False
    clock.advance(8)
    assert journal.tick(client) == 3
    assert [(sid, replay) for sid, _, replay in edge.posts] == [("L1-0", "1"), ("L1-1", "1"), ("L1-2", "1")]
    assert all(body["offline"] is True and body["rung_up_at"] for _, body, _ in edge.posts)
    status = journal.status()
    assert (status.waiting, status.next_attempt_at, status.last_error) == (0, None, None)
    assert status.last_seen_at == clock()
    assert [(e.state, e.charged_fen) for e in journal.entries()] == [("sent", 2800), ("sent", 2801), ("sent", 2802)]


def test_a_sent_sale_leaves_no_body_behind(tmp_path):
    edge, clock, client, journal = make(tmp_path)
    body = client.sale_body("L1-1", [LineIn("LATTE", 1)], Payment("cash", amount_fen=2800), rung_up_at=clock())
    body["enrolment"] = {"phone": "13800138000", "consent": {"policy_version": "2026-01", "granted": True}}
    journal.add(body)
    assert journal.flush(client) == 1
    assert journal.entries()[0].charged_fen == 2800
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("journal.db*"))
    assert b"138" not in raw and b"enrolment" not in raw  # the phone typed offline is gone from the till


def test_a_sale_whose_answer_was_lost_is_asked_for_before_it_is_sent_again(tmp_path):
    edge, clock, client, journal = make(tmp_path)
    edge.lose_answers = True
    journaled = journal.record_sale(client, client.sale_body("L1-7", [LineIn("LATTE", 1)],
                                                             Payment("cash", amount_fen=2800)))
    assert journaled.state == "waiting" and "L1-7" in edge.sales  # the edge has it; the till does not know
    edge.lose_answers = False
    clock.advance(1)
    assert journal.tick(client) == 1
    assert edge.gets == ["L1-7"] and len(edge.posts) == 1  # asked, found, not sent twice


def test_a_refused_replay_is_kept_failed_and_the_ones_after_it_still_go(tmp_path):
    edge, clock, client, journal = make(tmp_path)
    for n in range(3):
        journal.add(offline_body(client, clock, n))
    edge.refuse = {"L1-1"}
    assert journal.flush(client) == 2
    assert [(e.sale_id, e.state) for e in journal.entries()] == [("L1-0", "sent"), ("L1-1", "failed"),
                                                                 ("L1-2", "sent")]
    assert "unknown SKU" in journal.entries()[1].reason and journal.status().failed == 1


def test_an_edge_that_is_busy_or_predates_offline_sales_keeps_them_waiting_in_order(tmp_path):
    edge, clock, client, journal = make(tmp_path)
    for n in range(2):
        journal.add(offline_body(client, clock, n))
    edge.busy = True
    assert journal.flush(client) == 0 and journal.waiting() == 2 and len(edge.posts) == 1
    edge.busy, edge.old = False, True
    clock.advance(5)
    assert journal.tick(client) == 0
    status = journal.status()
    assert status.waiting == 2 and status.failed == 0 and "unknown field `offline`" in status.last_error
    assert status.last_seen_at == clock()  # it answered: it is there, just not able to take these yet
    edge.old = False
    clock.advance(5)
    assert journal.tick(client) == 2 and [p[0] for p in edge.posts][-2:] == ["L1-0", "L1-1"]


def test_auto_flush_ticks_in_its_own_thread_until_the_journal_is_empty(tmp_path):
    edge, clock, client, journal = make(tmp_path, backoff_base=30.0)
    edge.down = True
    for n in range(4):
        journal.add(offline_body(client, clock, n))
    waits: list[float] = []

    def wait(seconds: float) -> bool:  # no sleeping: each wait moves the till's clock on
        waits.append(seconds)
        clock.advance(seconds)
        if len(waits) == 3:
            edge.down = False
        return False

    flusher = AutoFlush(lambda: journal.tick(client), interval=20.0, wait=wait).start()
    try:
        assert journal.wait_until(lambda j: j.waiting() == 0, timeout=10)
    finally:
        flusher.stop()
    assert [p[0] for p in edge.posts] == ["L1-0", "L1-1", "L1-2", "L1-3"] and flusher.errors == []
    assert waits[:3] == [20.0, 20.0, 20.0]  # down at 0 s, held back at 20 s (backoff 30 s), tried at 40 s
