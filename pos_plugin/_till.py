"""Till: one lane that keeps selling when the edge does not answer.

Online, it quotes and records sales at the edge. When the edge cannot be reached it prices from its
price book (tier discount and member-day boosts, matching the edge), recognises members the book
lists by the phone the cashier types, and journals the sale with `offline: true`, the time it was
rung up and what was charged; a phone typed with the customer's consent rides along as an enrolment.
`tick()` (or `start()`, a background thread) flushes the journal once the edge answers and refreshes
the book; `status()` says how many sales wait and when the edge was last seen.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from ._book import OfflineMember, PriceBook, PriceBookFile, normalise_phone
from ._client import EdgeClient, new_checkout_id, new_sale_id
from ._errors import EdgeUnreachable, FieldProblem, InvalidInputError, NotFoundError, ProblemError
from ._journal import AutoFlush, JournaledSale, OfflineJournal
from ._offline_price import OfflineQuote, price_offline
from ._types import Enrolment, LineIn, MemberSummary, Payer, Payment, Quote, Sale


@dataclass
class TillStatus:
    waiting: int  # sales journaled, not yet recorded by the edge
    failed: int  # replays the edge refused (kept with the reason)
    edge_reachable: bool  # as far as the till knows now
    last_seen_at: datetime | None  # the edge last answered
    next_attempt_at: datetime | None
    last_error: str | None
    book_version: str | None
    book_fetched_at: datetime | None


class Till:
    """A lane's till. Files live in `data_dir` (journal.db, pricebook.json). `retry_online_after`: once the
    edge failed, quotes go straight to the book for this long rather than wait on it each time."""

    def __init__(self, edge: EdgeClient, data_dir: Path | str, *, book_every: float = 60.0,
                 retry_online_after: float = 10.0, backoff_base: float = 1.0, backoff_max: float = 60.0) -> None:
        self.edge = edge
        data = Path(data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.clock: Callable[[], datetime] = edge.clock
        self.journal = OfflineJournal(data / "journal.db", clock=self.clock, backoff_base=backoff_base,
                                      backoff_max=backoff_max)
        self.book_file = PriceBookFile(data / "pricebook.json")
        self.book_every = timedelta(seconds=book_every)
        self.retry_online_after = timedelta(seconds=retry_online_after)
        self._book_checked: datetime | None = None
        self._flusher: AutoFlush | None = None

    @property
    def book(self) -> PriceBook | None:
        return self.book_file.book

    def close(self) -> None:
        self.stop()
        self.journal.close()

    # --- the edge's state -----------------------------------------------------------------------------

    def edge_down(self) -> bool:
        """The edge failed more recently than it answered, within `retry_online_after`."""
        failed, seen = self.edge.last_unreachable_at, self.edge.last_seen_at
        if failed is None or (seen is not None and seen > failed):
            return False
        return self.clock() - failed < self.retry_online_after

    def refresh_book(self) -> bool:
        """Fetch the book if it changed; True when the till now holds a newer one. Never raises for a
        down edge (the copy on disk stays in use)."""
        now = self.clock()
        self._book_checked = now
        try:
            body = self.edge.price_book(self.book_file.version, retries=0)
        except EdgeUnreachable:
            return False
        if body is None:
            self.book_file.touch(now)
            return False
        self.book_file.replace(body, now)
        return True

    def tick(self) -> None:
        """Flush waiting sales when due; refresh the book every `book_every`. Call it often."""
        self.journal.tick(self.edge)
        if self._book_checked is None or self.clock() - self._book_checked >= self.book_every:
            if not self.edge_down():
                self.refresh_book()

    def start(self, interval: float = 1.0, wait: Callable[[float], bool] | None = None) -> "Till":
        """Tick in a background thread every `interval` seconds."""
        self._flusher = AutoFlush(self.tick, interval=interval, wait=wait).start()
        return self

    def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.stop()
            self._flusher = None

    def status(self) -> TillStatus:
        j = self.journal.status()
        seen = max((t for t in (self.edge.last_seen_at, j.last_seen_at) if t is not None), default=None)
        return TillStatus(waiting=j.waiting, failed=j.failed, edge_reachable=not self.edge_down(),
                          last_seen_at=seen, next_attempt_at=j.next_attempt_at, last_error=j.last_error,
                          book_version=self.book_file.version, book_fetched_at=self.book_file.fetched_at)

    # --- the checkout ---------------------------------------------------------------------------------

    def find_member(self, phone: str) -> MemberSummary | OfflineMember | None:
        """The member at this phone: from the edge, or offline from the book (tier and masked phone)."""
        if not self.edge_down():
            try:
                return self.edge.lookup(phone=phone)
            except NotFoundError:
                return None
            except EdgeUnreachable:
                pass
        return self.book.member_by_phone(phone) if self.book is not None else None

    def quote(self, lines: Sequence[LineIn], *, phone: str | None = None, member_id: str | None = None,
              checkout_id: str | None = None, payer: Payer | None = None,
              coupon_codes: list[str] | None = None) -> Quote | OfflineQuote:
        """Price the cart at the edge, or from the book when the edge does not answer."""
        lines = list(lines)
        if not self.edge_down():
            try:
                try:
                    return self.edge.quote(lines, phone=phone, member_id=member_id, checkout_id=checkout_id,
                                           payer=payer, coupon_codes=coupon_codes, retries=0)
                except NotFoundError:  # no member at that phone: the customer pays as a non-member
                    if phone is None and member_id is None:
                        raise
                    return self.edge.quote(lines, checkout_id=checkout_id, payer=payer, coupon_codes=coupon_codes,
                                           retries=0)
            except EdgeUnreachable:
                pass
        return self.quote_offline(lines, phone=phone, member_id=member_id, checkout_id=checkout_id)

    def quote_offline(self, lines: Sequence[LineIn], *, phone: str | None = None, member_id: str | None = None,
                      checkout_id: str | None = None) -> OfflineQuote:
        book = self.book
        if book is None:
            raise EdgeUnreachable("the edge does not answer and this till has no price book yet")
        member = None
        if phone is not None:
            member = book.member_by_phone(phone)
        elif member_id is not None:
            member = book.member_by_id(member_id)
        return price_offline(book, list(lines), member, self.clock(),
                             checkout_id or new_checkout_id(self.edge.lane_id))

    def sell(self, lines: Sequence[LineIn], payment: Payment, *, quote: Quote | OfflineQuote,
             sale_id: str | None = None, enrolment: Enrolment | None = None,
             coupon_codes: list[str] | None = None) -> Sale | JournaledSale:
        """Record what the customer paid for `quote` (payment.amount_fen, or the quote's total).

        An edge's quote is recorded at the edge; a sale priced offline, or one the edge does not take
        now, is journaled with `offline: true` and the ring-up time, and lands when the edge is back.
        `enrolment`: a phone typed with the customer's consent, for a customer not yet a member.
        """
        lines = list(lines)
        sale_id = sale_id or new_sale_id(self.edge.lane_id)
        charged = payment.amount_fen if payment.amount_fen is not None else quote.total_fen
        payment = msgspec.structs.replace(payment, amount_fen=charged)
        member_id = quote.member.member_id if quote.member is not None else None
        if enrolment is not None and member_id is None and normalise_phone(enrolment.phone, self._region()) is None:
            raise InvalidInputError(status=422, title="Invalid input", detail="enrolment.phone: not a mobile number",
                                    errors=[FieldProblem("enrolment.phone", "not a mobile number")])
        attempted = False
        if not quote.offline and not self.edge_down():
            try:
                if enrolment is not None and member_id is None:
                    member_id = self.edge.enrol(enrolment.phone, enrolment.consent, checkout_id=quote.checkout_id,
                                                name=enrolment.name, birthday=enrolment.birthday).member_id
                    enrolment = None
                attempted = True
                return self.edge.record_sale(sale_id, lines, payment, member_id=member_id,
                                             checkout_id=quote.checkout_id, coupon_codes=coupon_codes)
            except EdgeUnreachable:
                pass
            except ProblemError as exc:
                if exc.status < 500:
                    raise  # the edge refused it before anything was charged twice: the POS decides
        body = self.edge.sale_body(sale_id, lines, payment, member_id=member_id, checkout_id=quote.checkout_id,
                                   coupon_codes=coupon_codes, rung_up_at=self.clock(),
                                   enrolment=enrolment if member_id is None else None)
        return self.journal.add(body, attempted=attempted)

    def read_sale(self, sale_id: str) -> Sale | JournaledSale | None:
        """The sale as the edge has it, or as this till journaled it while the edge has not got it."""
        journaled = next((e for e in self.journal.entries() if e.sale_id == sale_id), None)
        if journaled is not None and journaled.state != "sent":
            return journaled
        try:
            return self.edge.get_sale(sale_id, retries=0)
        except NotFoundError:
            return journaled
        except EdgeUnreachable:
            return journaled

    def _region(self) -> str:
        return self.book.region if self.book is not None else "CN"

