"""Signed QR tokens: what a join QR carries, signed with the store key so nobody can mint one.

A token is `base64url(kind|subject|expires)` + "." + `base64url(HMAC-SHA256(store key)[:16])`.
It says what it is (`kind`), what it is bound to (`subject`: a standee, an open checkout, a sale,
or the referring member) and until when it is good (`expires`, Unix seconds; 0 = no expiry).
Revocation (standees) and single use (checkouts) need state and are checked by the join service.
"""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Literal

import msgspec

TokenKind = Literal["standee", "checkout", "receipt", "referral", "member"]
KINDS: tuple[str, ...] = ("standee", "checkout", "receipt", "referral", "member")
CHECKOUT_LIFETIME = timedelta(minutes=5)
RECEIPT_LIFETIME = timedelta(days=7)
_MAC_BYTES = 16  # 128 bits: unforgeable, and keeps the QR small


class QrToken(msgspec.Struct, frozen=True):
    kind: TokenKind
    subject: str
    expires: int  # Unix seconds; 0 for tokens that live until revoked


class TokenRefused(Exception):
    """A token that must not lead to a join; `reason` is one of tampered, expired, revoked, used."""

    def __init__(self, reason: str, token: QrToken | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"qr-token|" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(key: bytes, token: QrToken) -> str:
    """The token's text, safe in a URL path."""
    body = f"{token.kind}|{token.subject}|{token.expires}".encode()
    return f"{_b64(body)}.{_b64(_mac(key, body))}"


def verify(key: bytes, text: str, now: datetime) -> QrToken:
    """The token `text` stands for, or TokenRefused("tampered" / "expired")."""
    body_part, dot, mac_part = text.partition(".")
    try:
        body, mac = _unb64(body_part), _unb64(mac_part)
    except ValueError:
        raise TokenRefused("tampered") from None
    # canonical base64 only: otherwise the spare bits of the last character give one token many spellings
    canonical = _b64(body) == body_part and _b64(mac) == mac_part
    if not dot or not canonical or not hmac.compare_digest(mac, _mac(key, body)):
        raise TokenRefused("tampered")
    kind, subject, expires = body.decode().split("|")
    token = QrToken(kind, subject, int(expires))  # type: ignore[arg-type] - signed by us, so well formed
    if token.expires and now.timestamp() >= token.expires:
        raise TokenRefused("expired", token)
    return token


def standee_token(standee_id: str) -> QrToken:
    return QrToken("standee", standee_id, 0)


def checkout_token(checkout_id: str, now: datetime) -> QrToken:
    return QrToken("checkout", checkout_id, int((now + CHECKOUT_LIFETIME).timestamp()))


def receipt_token(sale_id: str, sold_at: datetime) -> QrToken:
    """Bound to the sale and to its time, so the receipt of a replayed sale carries the same token."""
    return QrToken("receipt", sale_id, int((sold_at + RECEIPT_LIFETIME).timestamp()))


def member_page_token(member_id: str, nonce: str, expires: datetime) -> QrToken:
    """Opens the member's own page once (`nonce` is spent when it is opened): shown at the till after
    the cashier identified them, or printed on their receipt. Never a join token."""
    return QrToken("member", f"{member_id}~{nonce}", int(expires.timestamp()))


def referral_token(member_id: str) -> QrToken:
    return QrToken("referral", member_id, 0)
