"""Phones typed every way become one E.164; identities are hashed and masked."""

import pytest

from edge.domain.errors import InvalidInput
from edge.domain.identity import mask_phone, payer_hash, phone_hash
from edge.phones import normalise_phone


@pytest.mark.parametrize("typed", [
    "13800138000", "+86 138 0013 8000", "008613800138000", "0086 138-0013-8000", "１３８００１３８０００",
    "+８６ １３８ ００１３ ８０００", " 138 0013 8000 ",
])
def test_common_chinese_spellings_of_a_mobile_become_one_e164(typed):
    assert normalise_phone(typed, "CN") == "+8613800138000"


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "a mobile phone number is required"),
    ("010 6552 9988", "not a mobile number"),  # a Beijing landline
    ("12345", "not a valid phone number"),
    ("not a phone", "not a phone number"),
    ("1" * 40, "too long for a phone number"),
])
def test_what_is_not_a_mobile_number_is_refused_with_the_reason(typed, reason):
    with pytest.raises(InvalidInput) as err:
        normalise_phone(typed, "CN")
    assert err.value.errors[0].field == "phone" and err.value.errors[0].reason == reason


def test_payer_hash_depends_on_key_provider_scope_and_id_and_hides_the_id():
    key = b"k" * 32
    base = payer_hash(key, "wechat", "wx-app", "o-123")
    assert "o-123" not in base and len(base) == 64
    assert base != payer_hash(b"j" * 32, "wechat", "wx-app", "o-123")
    assert base != payer_hash(key, "alipay", "wx-app", "o-123")
    assert base != payer_hash(key, "wechat", "other-app", "o-123")
    assert base == payer_hash(key, "wechat", "wx-app", "o-123")


def test_phone_hash_is_stable_per_chain_key_and_masking_keeps_first_three_and_last_four():
    assert phone_hash(b"k" * 32, "+8613800138000") == phone_hash(b"k" * 32, "+8613800138000")
    assert phone_hash(b"k" * 32, "+8613800138000") != phone_hash(b"x" * 32, "+8613800138000")
    assert mask_phone("+8613800138000") == "138****8000"
