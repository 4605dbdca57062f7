"""A till against the real edge over HTTP: online through the edge, offline from its price book when the
cable is cut, its status, its book refreshed by version and kept across a restart."""

from datetime import datetime

import httpx
import msgspec
import pytest
from fakes import Cable, TillClock

from pos_plugin import (
    Consent,
    EdgeClient,
    EdgeUnreachable,
    Enrolment,
    InvalidInputError,
    JournaledSale,
    LineIn,
    OfflineQuote,
    Payment,
    Quote,
    Sale,
    Till,
)

FRIDAY_10AM_SHANGHAI_UTC = "2026-11-27T02:00:00+00:00"


@pytest.fixture
def wire(live):
    server, keys = live
    cable = Cable()
    clock = TillClock()
    client = EdgeClient(server.url, keys["lane"], "L1", "C7", retries=0, backoff=lambda a: None, clock=clock,
                        client=httpx.Client(base_url=server.url, transport=cable, timeout=5))
    return cable, clock, client


@pytest.fixture
def till(wire, tmp_path):
    _, _, client = wire
    t = Till(client, tmp_path / "till")
    yield t
    t.close()


def enrol(till: Till, phone: str) -> str:
    return till.edge.enrol(phone, Consent("2026-01")).member_id


def test_online_the_till_quotes_and_sells_through_the_edge_and_says_when_it_last_saw_it(till, wire):
    _, clock, _ = wire
    member_id = enrol(till, "13800138000")
    quote = till.quote([LineIn("LATTE", 2)], phone="138 0013 8000")
    assert isinstance(quote, Quote) and not quote.offline and quote.member.member_id == member_id
    sale = till.sell([LineIn("LATTE", 2)], Payment("cash"), quote=quote)
    assert isinstance(sale, Sale) and sale.total_fen == quote.total_fen == sale.payment.amount_fen == 5600
    status = till.status()
    assert status.waiting == 0 and status.edge_reachable and status.last_seen_at == clock()
    unknown = till.quote([LineIn("LATTE", 1)], phone="13900139000")  # not a member: priced as a guest
    assert unknown.member is None and unknown.total_fen == 2800


def test_the_book_is_fetched_once_then_answered_304_until_it_changes(till, wire):
    cable, _, _ = wire
    assert till.refresh_book() is True and till.book is not None
    version = till.book.version
    assert till.refresh_book() is False and till.book.version == version
    enrol(till, "13800138000")
    assert till.refresh_book() is True and till.book.version != version
    assert [m.phone_masked for m in till.book.members] == ["138****8000"]
    assert cable.requests.count(("GET", "/api/v1/pricebook")) == 3


def test_with_the_cable_cut_the_till_prices_from_its_book_and_shows_the_member_s_tier(till, wire, live, clock):
    cable, till_clock, _ = wire
    member_id = enrol(till, "13800138000")
    friday = datetime.fromisoformat(FRIDAY_10AM_SHANGHAI_UTC)
    clock.set(friday)  # the edge's clock
    till_clock.now = friday
    online = till.quote([LineIn("LATTE", 2), LineIn("GIFT-CARD-100", 1)], member_id=member_id)
    till.refresh_book()
    cable.cut = True
    found = till.find_member("13800138000")
    assert (found.member_id, found.phone_masked, found.tier.tier_id) == (member_id, "138****8000", "regular")
    offline = till.quote([LineIn("LATTE", 2), LineIn("GIFT-CARD-100", 1)], phone="13800138000")
    assert isinstance(offline, OfflineQuote) and offline.offline
    assert offline.member.tier.name_zh == "普通会员"
    assert (offline.total_fen, offline.discount_fen) == (online.total_fen, online.discount_fen) == (15320, 280)
    assert [d.rule_id for d in offline.applied] == ["member_day:member-day-friday"]
    assert offline.unpriced_offers == ["flash-pastry"]
    assert not till.status().edge_reachable


def test_offline_the_sale_is_journaled_with_the_ring_up_time_the_charge_and_a_consented_enrolment(till, wire):
    cable, clock, _ = wire
    till.refresh_book()
    cable.cut = True
    quote = till.quote([LineIn("LATTE", 1)], phone="13700137000")
    assert quote.offline and quote.member is None
    consent = Consent("2026-01", marketing=True)
    with pytest.raises(InvalidInputError) as bad:
        till.sell([LineIn("LATTE", 1)], Payment("wechat_pay"), quote=quote, enrolment=Enrolment("1234", consent))
    assert bad.value.errors[0].field == "enrolment.phone"
    sale = till.sell([LineIn("LATTE", 1)], Payment("wechat_pay"), quote=quote,
                     enrolment=Enrolment("13700137000", consent))
    assert isinstance(sale, JournaledSale) and sale.state == "waiting" and sale.charged_fen == 2800
    (seq, body), = till.journal._execute("SELECT seq, body FROM journal")
    sent = msgspec.json.decode(body)
    assert sent["offline"] is True and sent["rung_up_at"] == "2026-11-24T02:00:00.000Z"
    assert sent["payment"] == {"method": "wechat_pay", "amount_fen": 2800}
    assert sent["checkout_id"] == quote.checkout_id and sent["checkout_id"].startswith("L1-co-")
    assert sent["enrolment"] == {"phone": "13700137000", "consent": {"policy_version": "2026-01", "granted": True,
                                                                      "marketing": True, "payment_link": False}}
    assert till.status().waiting == 1 and till.read_sale(sale.sale_id).state == "waiting"


def test_a_till_restarted_while_the_edge_is_down_still_prices_from_the_book_on_disk(till, wire, tmp_path):
    cable, clock, client = wire
    member_id = enrol(till, "13800138000")
    till.refresh_book()
    cable.cut = True
    again = Till(client, tmp_path / "till")
    try:
        quote = again.quote([LineIn("CROISSANT", 3)], phone="13800138000")
        assert quote.offline and quote.member.member_id == member_id and quote.total_fen == 4500
    finally:
        again.close()
    empty = Till(client, tmp_path / "fresh-till")
    with pytest.raises(EdgeUnreachable):  # no book ever fetched: nothing to price by
        empty.quote([LineIn("LATTE", 1)])
    empty.close()


def test_once_the_cable_is_back_the_till_goes_online_again_after_its_retry_window(till, wire):
    cable, clock, _ = wire
    till.refresh_book()
    cable.cut = True
    assert till.quote([LineIn("LATTE", 1)]).offline
    cable.cut = False
    assert till.quote([LineIn("LATTE", 1)]).offline  # within the window: no wait on an edge that just failed
    clock.advance(till.retry_online_after.total_seconds())
    assert not till.quote([LineIn("LATTE", 1)]).offline and till.status().edge_reachable
