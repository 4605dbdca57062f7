"""Referral codes and the rules on who may reward whom. Pure: no storage, no clock.

A member's referral code is 8 random characters a person can read out at a till ("K7QM-3XPA"),
stored with the member where they joined. The older long form, "R" + the member id in Crockford
base32 (27 characters), is still accepted: codes already handed out keep working.

Why 8 characters are enough. The alphabet has 31 symbols (no 0/O, no 1/I/L: nothing to confuse
when read aloud or copied from a screen), so there are 31^8 = 852,891,037,441 codes (about 2^39.6).
A guesser types codes into the join page's invite-code field: each typed code costs a token of the
per-address bucket for invite codes (10 at once, 10 an hour), on top of the page's own limits (1 a
second per address, 5 joins per phone in 10 minutes). Even a store with 100,000 members holds one
live code per 8.5 million: 240 guesses a day from an address find one about every 97 years, and at
the page's general limit (86,400 a day) one every 3 months. And a hit earns little: the referral
reward needs a new phone's first completed, paid sale, once per referee.
"""

import secrets
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_CROCKFORD)} | {"O": 0, "I": 1, "L": 1}
MAX_CHAIN = 32  # how far up the referrer chain a loop is looked for
SAYABLE = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols, no look-alikes: 0/O, 1/I/L are left out
CODE_LENGTH = 8
_SEPARATORS = str.maketrans("", "", " -_.\u3000")  # what people type between groups, full-width space too


def new_code() -> str:
    """A fresh random referral code (8 characters of SAYABLE); the store's UNIQUE constraint decides."""
    return "".join(secrets.choice(SAYABLE) for _ in range(CODE_LENGTH))


def spoken(code: str) -> str:
    """The code as shown and read out: two groups of four, "K7QM-3XPA"; a legacy code unchanged."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def short_code_of(text: str) -> str | None:
    """The canonical 8-character code in what a person typed (case, spaces and dashes forgiven), or None."""
    code = text.translate(_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(ch not in SAYABLE for ch in code):
        return None
    return code


def referral_code(member_id: str) -> str:
    """The legacy long code: 'R' + 26 base32 characters of the member id's 128 bits."""
    value = uuid.UUID(member_id).int
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "R" + "".join(reversed(chars))


def member_id_of(code: str) -> str | None:
    """The member id behind a legacy long code, or None when it is not one (case and O/I/L forgiven)."""
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
