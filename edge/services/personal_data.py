"""Sealing personal fields of an outbox event with their person's data key (AES-256-GCM).

A sealed value is `pd1.<key id>.<base64url(nonce + ciphertext)>`, the key id bound in as associated
data. HQ opens it with the key it received beside the batch listing (`sync/sealed.py` reads the same
format); once erasure destroyed the key nobody can. `cryptography` provides AES-GCM: a well-kept,
audited library, where hand-written crypto would be a liability.
"""

import base64
import os
import sqlite3
from datetime import datetime
from typing import Any

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..store import data_keys

PREFIX = "pd1"


def seal(kid: str, key: bytes, fields: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, msgspec.json.encode(fields), kid.encode())
    return f"{PREFIX}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).rstrip(b'=').decode()}"


def open_sealed(text: str, key: bytes) -> dict[str, Any]:
    """The fields of a sealed value (for the member's own data download and tests)."""
    prefix, kid, body = text.split(".", 2)
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return msgspec.json.decode(AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()))


def for_member(conn: sqlite3.Connection, member_id: str, now: datetime, fields: dict[str, Any]) -> str:
    kid, key = data_keys.member_key(conn, member_id, now)
    return seal(kid, key, fields)


def for_payer(conn: sqlite3.Connection, payer_hash: str, now: datetime, fields: dict[str, Any]) -> str:
    kid, key = data_keys.payer_key(conn, payer_hash, now)
    return seal(kid, key, fields)
