"""Referral codes and the rules on who may reward whom. Pure: no storage, no clock.

A member's referral code is their member id (a UUID) in Crockford base32 behind an "R": any store
that knows the member resolves it offline, with no table to keep in sync, and it fits a QR or a link.
"""

import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_CROCKFORD)} | {"O": 0, "I": 1, "L": 1}
MAX_CHAIN = 32  # how far up the referrer chain a loop is looked for


def referral_code(member_id: str) -> str:
    """'R' + 26 base32 characters of the member id's 128 bits."""
    value = uuid.UUID(member_id).int
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "R" + "".join(reversed(chars))


def member_id_of(code: str) -> str | None:
    """The member id behind a referral code, or None when it is not one (case and O/I/L forgiven)."""
    text = code.strip().upper()
    if len(text) != 27 or not text.startswith("R"):
        return None
    value = 0
    for ch in text[1:]:
        if ch not in _VALUE:
            return None
        value = value * 32 + _VALUE[ch]
    if value >> 128:
        return None
    return str(uuid.UUID(int=value))


def reward_refusal(referee_id: str, referrer_id: str, referrers_chain: list[str]) -> str | None:
    """Why this referral earns nothing, or None when it may reward.

    `referrers_chain` is the referrer's own referrer, that one's referrer, and so on: a referee
    found there means the two referred each other round a loop.
    """
    if referee_id == referrer_id:
        return "self-referral"
    if referee_id in referrers_chain:
        return "referral loop"
    return None
