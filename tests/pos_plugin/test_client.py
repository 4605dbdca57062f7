"""The POS client against the real server over HTTP, and its offline journal."""

import logging

import httpx
import pytest

from pos_plugin import (
    AuthError,
    ConflictError,
    Consent,
    EdgeClient,
    InvalidInputError,
    LineIn,
    NotFoundError,
    OfflineJournal,
    Payment,
    Sale,
    new_sale_id,
)

from support import free_port


@pytest.fixture
def edge(live):
    server, keys = live
    with EdgeClient(server.url, keys["lane"], "L1", "C7", backoff=lambda attempt: None) as client:
        yield client


def test_a_lane_enrols_quotes_and_sells_through_the_typed_client(edge):
    member = edge.enrol("138 0013 8000", Consent("2026-01"))
    assert member.created is True and member.phone_masked == "138****8000"
    assert edge.enrol("13800138000", Consent("2026-01")).created is False
    assert edge.lookup(phone="+86 138 0013 8000").member_id == member.member_id
    quote = edge.quote([LineIn("LATTE", 2)], member_id=member.member_id)
    sale_id = new_sale_id("L1")
    sale = edge.record_sale(sale_id, [LineIn("LATTE", 2)], Payment("cash", amount_fen=quote.total_fen),
                            member_id=member.member_id)
    assert isinstance(sale, Sale) and sale.total_fen == quote.total_fen == 5600 and sale.points_earned == 56
    again = edge.record_sale(sale_id, [LineIn("LATTE", 2)], Payment("cash", amount_fen=quote.total_fen),
                             member_id=member.member_id)
    assert again == sale
    assert edge.void_sale(sale_id, "wrong order").status == "voided"


def test_problems_become_typed_errors_naming_the_field(edge, live):
    with pytest.raises(NotFoundError):
        edge.lookup(phone="13900139000")
    with pytest.raises(InvalidInputError) as bad:
        edge.enrol("12345", Consent("2026-01"))
    assert bad.value.errors[0].field == "phone"
    edge.record_sale("dup-1", [LineIn("LATTE", 1)], Payment("cash"))
    with pytest.raises(ConflictError):
        edge.record_sale("dup-1", [LineIn("LATTE", 2)], Payment("cash"))
    server, _ = live
    with EdgeClient(server.url, "se_lane_revoked", "L1", "C7") as stranger, pytest.raises(AuthError):
        stranger.catalog()


def test_sales_made_while_the_edge_is_down_are_journaled_and_replayed_once_it_is_back(edge, live, tmp_path):
    server, keys = live
    journal = OfflineJournal(tmp_path / "pos-journal.db")
    down = EdgeClient(f"http://127.0.0.1:{free_port()}", keys["lane"], "L1", "C7", retries=1,
                      backoff=lambda attempt: None)
    bodies = [down.sale_body(new_sale_id("L1"), [LineIn("LATTE", 1)], Payment("cash")) for _ in range(3)]
    results = [journal.record_sale(down, body) for body in bodies]
    assert [r.state for r in results] == ["waiting"] * 3 and journal.waiting() == 3

    assert journal.flush(edge) == 3
    assert journal.waiting() == 0 and journal.flush(edge) == 0
    # replaying the same sale again (a POS restored from its own backup) records nothing twice
    assert edge.post_sale(bodies[0]).sale_id == bodies[0]["sale_id"]
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["outbox_depth"] == 3
    journal.close()


def test_a_journaled_sale_the_edge_refuses_is_kept_as_failed_with_the_reason(edge, live, tmp_path):
    server, keys = live
    journal = OfflineJournal(tmp_path / "j.db")
    down = EdgeClient(f"http://127.0.0.1:{free_port()}", keys["lane"], "L1", "C7", retries=0)
    journal.record_sale(down, down.sale_body("offline-1", [LineIn("NOT-A-SKU", 1)], Payment("cash")))
    assert journal.flush(edge) == 0
    (entry,) = journal.entries()
    assert entry.state == "failed" and "unknown SKU" in entry.reason
    journal.close()


def test_httpx_logs_a_lookup_without_the_phone_in_its_url(edge, caplog):
    member = edge.enrol("138 0013 8000", Consent("2026-01"))
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert edge.lookup(phone="13800138000").member_id == member.member_id
        with pytest.raises(NotFoundError):
            edge.lookup(payer="wechat:o6_secret_payer", scope="wx-app")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 2 and all("/api/v1/members/lookup?redacted" in line for line in lines)
    assert not any("13800138000" in line or "o6_secret_payer" in line for line in lines)
