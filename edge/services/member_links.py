"""Single-use links that open a member's own page (data download, consent, deletion) on their phone.

A member enrolled at the till never saw the join page, so never got the page's session. The till
shows them a QR (5 minutes, once the cashier identified them) and a member's receipt carries one
(3 days: it is read at home); each opens the page once. The link is a store-signed token naming
the member and a random nonce; opening it spends the nonce (`page_links`), so a photo of the QR, a
replayed URL or a second scan of the receipt opens nothing.
"""

import secrets
import sqlite3
from datetime import datetime, timedelta

from ..domain import tokens
from ..domain.clock import iso
from ..domain.errors import FieldError, NotFound
from ..domain.tokens import QrToken, TokenRefused
from ..schemas import JoinOffer
from ..store import join as join_repo
from ..store import members as member_repo
from .join import new_session
from .runtime import StoreRuntime

TILL_LINK_LIFETIME = timedelta(minutes=5)
RECEIPT_LINK_LIFETIME = timedelta(days=3)


def page_url(store: StoreRuntime, text: str) -> str:
    return f"{store.config.public_base_url.rstrip('/')}/m/open/{text}"


def page_link(store: StoreRuntime, member_id: str, now: datetime, lifetime: timedelta = TILL_LINK_LIFETIME) -> JoinOffer:
    """A fresh single-use link (and its QR) to the member's page."""
    expires = now + lifetime
    text = tokens.sign(store.store_key, tokens.member_page_token(member_id, secrets.token_urlsafe(9), expires))
    url = page_url(store, text)
    return JoinOffer(url=url, qr_png_url=url + "/qr.png", expires_at=iso(expires))


def till_link(store: StoreRuntime, member_id: str) -> JoinOffer:
    """The link a cashier shows once they identified the member; NotFound for an unknown or erased one."""
    member = member_repo.by_id(store.reader.conn, member_id)
    if member is None or member.erased_at is not None:
        raise NotFound("no such member", [FieldError("member_id", "no member with this id")])
    return page_link(store, member_id, store.clock())


def verify_link(store: StoreRuntime, text: str) -> tuple[QrToken, str, str]:
    """(token, member id, nonce) of a link this store signed; TokenRefused otherwise."""
    token = tokens.verify(store.store_key, text, store.clock())
    if token.kind != "member" or "~" not in token.subject:
        raise TokenRefused("tampered", token)
    member_id, nonce = token.subject.split("~", 1)
    return token, member_id, nonce


async def open_link(store: StoreRuntime, text: str) -> str:
    """Spend the link and start a member-page session; return the session secret.

    TokenRefused: tampered, expired, used (opened before) or revoked (the member was erased)."""
    token, member_id, nonce = verify_link(store, text)

    def command(conn: sqlite3.Connection) -> str:
        now = store.clock()
        member = member_repo.by_id(conn, member_id)
        if member is None or member.erased_at is not None:
            raise TokenRefused("revoked", token)
        if not join_repo.spend_page_link(conn, nonce, member_id, iso(now)):
            raise TokenRefused("used", token)
        return new_session(conn, member_id, now)

    return await store.writer.run(command)
