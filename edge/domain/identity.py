"""Identity hashing: raw payer ids and phones never leave this function un-hashed."""

import hashlib
import hmac


def payer_hash(chain_key: bytes, provider: str, scope: str, payer_id: str) -> str:
    """HMAC-SHA256(chain key, "provider|scope|payer id"), hex: the only form a payer is kept in."""
    msg = f"{provider}|{scope}|{payer_id}".encode()
    return hmac.new(chain_key, msg, hashlib.sha256).hexdigest()


def phone_hash(chain_key: bytes, phone_e164: str) -> str:
    """HMAC-SHA256 of an E.164 phone with the chain key: the same person hashes alike at every store."""
    return hmac.new(chain_key, b"phone|" + phone_e164.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone_e164: str) -> str:
    """+8613800138000 -> 138****8000: enough for a cashier to confirm, not enough to call."""
    digits = phone_e164[3:] if phone_e164.startswith("+86") else phone_e164.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """张三 -> 张*, Alice Wong -> A*********: a screen facing the queue greets without naming."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 8))
