"""Phone numbers as customers type them (13800138000, +86 138 0013 8000, 0086..., full-width) to E.164.

phonenumbers (libphonenumber's metadata) does the parsing: it knows every region's mobile ranges,
which a hand-written regex would get wrong as carriers add number blocks.
"""

import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from .domain.errors import InvalidInput

_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_phone(raw: str, region: str, field: str = "phone") -> str:
    """Return the E.164 form of a mobile number typed in any common way; raise InvalidInput otherwise."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput.on(field, "a mobile phone number is required")
    text = unicodedata.normalize("NFKC", raw).strip()  # full-width digits and plus to ASCII
    if len(text) > 32:
        raise InvalidInput.on(field, "too long for a phone number")
    if text.startswith("00"):
        text = "+" + text[2:]  # 0086... is the international prefix dialled from China
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput.on(field, "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput.on(field, "not a valid phone number")
    if phonenumbers.number_type(number) not in _MOBILE:
        raise InvalidInput.on(field, "not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
