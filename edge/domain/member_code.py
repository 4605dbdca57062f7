"""The dynamic member code: what the member page shows as a QR and the till scans.

    code = "MC." + member_id + "." + step + "." + base64url(HMAC-SHA256(chain key, "member-code|id|step")[:16])

`step` is the 30-second time step (Unix seconds // 30). Every store of the chain holds the chain
key, so any store verifies a code offline. A code is good in its own step and the one after (it
lives 30 to 60 s), with one step of clock skew tolerated ahead; a screenshot soon stops working.
Each store accepts a code once: the join service records (member, step) it accepted (replay store
in SQLite). Pure: the caller passes `now` and keeps the replay record.
"""

import base64
import hashlib
import hmac
from datetime import datetime

import msgspec

STEP_SECONDS = 30
PREFIX = "MC."
_MAC_BYTES = 16


class MemberCode(msgspec.Struct, frozen=True):
    member_id: str
    step: int


class CodeRefused(Exception):
    """A member code that identifies nobody; `reason` is one of malformed, forged, expired, replayed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _mac(chain_key: bytes, member_id: str, step: int) -> str:
    digest = hmac.new(chain_key, f"member-code|{member_id}|{step}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode()


def make_code(chain_key: bytes, member_id: str, now: datetime) -> str:
    """The member's code for the time step of `now`."""
    step = time_step(now)
    return f"{PREFIX}{member_id}.{step}.{_mac(chain_key, member_id, step)}"


def looks_like_code(text: str) -> bool:
    return text.strip().startswith(PREFIX)


def verify_code(chain_key: bytes, code: str, now: datetime) -> MemberCode:
    """The member and step a code stands for; CodeRefused when it is malformed, forged or expired."""
    text = code.strip()
    if not text.startswith(PREFIX):
        raise CodeRefused("malformed")
    member_id, _, rest = text[len(PREFIX):].rpartition(".")
    member_id, _, step_text = member_id.rpartition(".")
    if not member_id or not step_text.isdigit():
        raise CodeRefused("malformed")
    step = int(step_text)
    if not hmac.compare_digest(rest, _mac(chain_key, member_id, step)):
        raise CodeRefused("forged")
    current = time_step(now)
    if not current - 1 <= step <= current + 1:
        raise CodeRefused("expired")
    return MemberCode(member_id, step)
