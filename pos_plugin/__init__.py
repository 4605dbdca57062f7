"""pos_plugin: the typed client a POS lane uses to talk to its store's edge.

    from pos_plugin import EdgeClient, LineIn, Payment, new_sale_id

    edge = EdgeClient("http://192.168.1.20:8000", lane_key="se_lane_…", lane_id="L1", cashier_id="C7")
    member = edge.lookup(phone="13800138000")
    quote = edge.quote([LineIn("LATTE", 2)], member_id=member.member_id)
    sale = edge.record_sale(new_sale_id("L1"), [LineIn("LATTE", 2)], Payment("cash"), member_id=member.member_id)

Depends on httpx and msgspec only. Every call that creates something is idempotent (sales by
sale_id, enrolments by an Idempotency-Key), so the client retries transport failures safely.
`OfflineJournal` keeps sales the edge could not take and replays them when it is back.

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

from ._client import EdgeClient, new_sale_id
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
from ._journal import JournaledSale, OfflineJournal
from ._types import (
                      Consent,
                      Discount,
                      Line,
                      LineIn,
                      MemberSummary,
                      Payment,
                      PaymentResult,
                      Quote,
                      Receipt,
                      Sale,
                      Tier,
)

__all__ = [
    "AuthError", "ConflictError", "Consent", "Discount", "EdgeClient", "EdgeError", "EdgeUnavailable", "EdgeUnreachable",
    "InvalidInputError", "JournaledSale", "Line", "LineIn", "MemberSummary", "NotFoundError", "OfflineJournal",
    "Payment", "PaymentResult", "ProblemError", "Quote", "Receipt", "Sale", "Tier", "new_sale_id",
]
