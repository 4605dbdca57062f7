"""Opening personal fields an edge sealed with a person's data key (`pd1.<key id>.<base64url>`).

The edge seals them (`edge/services/personal_data.py`: AES-256-GCM, the key id as associated data);
HQ opens them with the keys it received beside the batch listings. Kept apart from the edge's code
so HQ imports nothing of the edge; a test holds the two to the same format.
"""

import base64
from collections.abc import Callable
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "pd1"


def key_id(text: object) -> str | None:
    """The key id a sealed value names, or None for anything else."""
    if not isinstance(text, str) or not text.startswith(PREFIX + "."):
        return None
    parts = text.split(".", 2)
    return parts[1] if len(parts) == 3 else None


def open_sealed(text: object, key_for: Callable[[str], bytes | None]) -> dict[str, Any] | None:
    """The sealed fields, or None when the key is gone (erased) or the value is not a sealed one."""
    kid = key_id(text)
    key = key_for(kid) if kid else None
    if key is None:
        return None
    body = str(text).split(".", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return msgspec.json.decode(AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()))  # type: ignore[union-attr]
    except (ValueError, InvalidTag, msgspec.DecodeError):
        return None
