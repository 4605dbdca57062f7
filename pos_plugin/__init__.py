"""pos_plugin: the typed client a POS lane uses to talk to its store's edge.

    from pos_plugin import EdgeClient, LineIn, Payment, new_sale_id

    edge = EdgeClient("http://192.168.1.20:8000", lane_key="se_lane_…", lane_id="L1", cashier_id="C7")
    member = edge.lookup(phone="13800138000")
    quote = edge.quote([LineIn("LATTE", 2)], member_id=member.member_id)
    sale = edge.record_sale(new_sale_id("L1"), [LineIn("LATTE", 2)], Payment("cash"), member_id=member.member_id)

Depends on httpx and msgspec only. Every call that creates something is idempotent (sales by
sale_id, enrolments by an Idempotency-Key), so the client retries transport failures safely.
`OfflineJournal` keeps sales the edge could not take and replays them when it is back.

A till that keeps selling while the edge is down uses `Till`: it prices offline from the edge's price
book (tier discount and member-day boosts, as the edge prices them), journals the sale with
`offline: true`, and flushes the journal by itself once the edge answers:

    till = Till(edge, "/var/lib/pos/store-edge").start()   # ticks in a thread: flush, refresh the book
    quote = till.quote([LineIn("LATTE", 2)], phone="13800138000")   # Quote, or OfflineQuote offline
    sale = till.sell([LineIn("LATTE", 2)], Payment("cash"), quote=quote)   # Sale, or JournaledSale
    till.status().waiting, till.status().last_seen_at

Errors:

    EdgeError
     ├── EdgeUnreachable      the edge did not answer (after the retries)
     │    └── EdgeUnavailable     it answered 503: it cannot write now (journal the sale)
     └── ProblemError         the edge answered 4xx/5xx problem+json: .status .title .detail .errors
          ├── AuthError           401 / 403
          ├── NotFoundError       404
          ├── ConflictError       409 (stock, idempotency)
          └── InvalidInputError   400 / 413 / 422
"""

from ._book import OfflineMember, PriceBook, PriceBookFile, normalise_phone
from ._client import EdgeClient, new_checkout_id, new_sale_id
from ._errors import (
                      AuthError,
                      ConflictError,
                      EdgeError,
                      EdgeUnavailable,
                      EdgeUnreachable,
                      InvalidInputError,
                      NotFoundError,
                      ProblemError,
)
from ._journal import AutoFlush, JournaledSale, JournalStatus, OfflineJournal
from ._offline_price import OfflineQuote, business_day, price_offline
from ._till import Till, TillStatus
from ._types import (
                      Consent,
                      Discount,
                      Enrolment,
                      Line,
                      LineIn,
                      MemberSummary,
                      Payer,
                      Payment,
                      PaymentResult,
                      PricedCart,
                      PriceException,
                      Quote,
                      Receipt,
                      Sale,
                      Tier,
)

__version__ = "0.2.0"

__all__ = [
    "AuthError", "AutoFlush", "ConflictError", "Consent", "Discount", "EdgeClient", "EdgeError", "EdgeUnavailable",
    "EdgeUnreachable", "Enrolment", "InvalidInputError", "JournalStatus", "JournaledSale", "Line", "LineIn",
    "MemberSummary", "NotFoundError", "OfflineJournal", "OfflineMember", "OfflineQuote", "Payer", "Payment",
    "PaymentResult", "PriceBook", "PriceBookFile", "PriceException", "PricedCart", "ProblemError", "Quote", "Receipt", "Sale", "Tier",
    "Till", "TillStatus", "__version__", "business_day", "new_checkout_id", "new_sale_id", "normalise_phone",
    "price_offline",
]
