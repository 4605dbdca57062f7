"""Signed QR tokens and dynamic member codes: what is refused, and why."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.domain import member_code, tokens
from edge.domain.errors import InvalidInput
from edge.domain.member_code import CodeRefused, make_code, verify_code
from edge.domain.tokens import TokenRefused
from edge.schemas import ConsentIn, EnrolIn
from edge.services.members import enrol_in, find
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo
from edge.store import members as member_repo

from builders import enrol_body

KEY = b"k" * 32
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_a_token_verifies_back_to_what_was_signed():
    token = tokens.checkout_token("co-1", NOW)
    assert tokens.verify(KEY, tokens.sign(KEY, token), NOW) == token


@given(st.integers(min_value=0, max_value=200), st.characters(codec="ascii", exclude_characters="\x00"))
def test_changing_any_character_of_a_token_makes_it_tampered(position, replacement):
    text = tokens.sign(KEY, tokens.standee_token("standee-1"))
    i = position % len(text)
    changed = text[:i] + replacement + text[i + 1:]
    if changed == text:
        return
    with pytest.raises(TokenRefused) as refused:
        tokens.verify(KEY, changed, NOW)
    assert refused.value.reason == "tampered"


def test_a_token_signed_with_another_stores_key_is_tampered():
    with pytest.raises(TokenRefused, match="tampered"):
        tokens.verify(KEY, tokens.sign(b"x" * 32, tokens.standee_token("s")), NOW)


def test_a_checkout_token_lives_five_minutes_and_a_receipt_token_seven_days():
    checkout = tokens.sign(KEY, tokens.checkout_token("co", NOW))
    receipt = tokens.sign(KEY, tokens.receipt_token("sale", NOW))
    tokens.verify(KEY, checkout, NOW + timedelta(minutes=4, seconds=59))
    tokens.verify(KEY, receipt, NOW + timedelta(days=6, hours=23))
    for text, later in ((checkout, timedelta(minutes=5)), (receipt, timedelta(days=7))):
        with pytest.raises(TokenRefused, match="expired"):
            tokens.verify(KEY, text, NOW + later)


def test_a_member_code_verifies_in_its_step_and_the_next_then_expires():
    code = make_code(KEY, "m-1", NOW)
    assert verify_code(KEY, code, NOW + timedelta(seconds=59)).member_id == "m-1"
    with pytest.raises(CodeRefused, match="expired"):
        verify_code(KEY, code, NOW + timedelta(seconds=60))


@pytest.mark.parametrize("forge", [
    lambda c: c.replace("m-1", "m-2"),  # someone else's id with this code's signature
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # a guessed signature
    lambda c: make_code(b"other key" * 4, "m-1", NOW),  # signed without the chain key
])
def test_a_forged_member_code_is_refused(forge):
    with pytest.raises(CodeRefused, match="forged"):
        verify_code(KEY, forge(make_code(KEY, "m-1", NOW)), NOW)


def test_a_member_code_with_a_step_moved_forward_is_forged_not_renewed():
    code = make_code(KEY, "m-1", NOW)
    member_id, step, mac = code[len(member_code.PREFIX):].rsplit(".", 2)
    with pytest.raises(CodeRefused, match="forged"):
        verify_code(KEY, f"{member_code.PREFIX}{member_id}.{int(step) + 2}.{mac}", NOW + timedelta(seconds=60))


def code_of(api, store) -> str:
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    return make_code(store.chain_key, member_id, store.clock())


def test_a_member_code_finds_the_member_once_and_its_replay_at_the_same_store_is_refused(api, store):
    code = code_of(api, store)
    first = api.get("/api/v1/members/lookup", params={"code": code})
    replay = api.get("/api/v1/members/lookup", params={"code": code})
    assert first.status_code == 200 and first.json()["phone_masked"] == "138****8000"
    assert replay.status_code == 422
    assert replay.json()["errors"] == [{"field": "code", "reason": "this member code was already used at this store"}]


def test_an_expired_member_code_is_refused_at_lookup(api, store, clock):
    code = code_of(api, store)
    clock.advance(seconds=61)
    r = api.get("/api/v1/members/lookup", params={"code": code})
    assert r.status_code == 422 and "expired" in r.json()["errors"][0]["reason"]


def test_a_forged_member_code_is_refused_at_lookup_and_at_quote(api, store):
    forged = make_code(b"not the chain key" * 2, api.post("/api/v1/members", json=enrol_body()).json()["member_id"],
                       store.clock())
    lookup = api.get("/api/v1/members/lookup", params={"code": forged})
    quote = api.post("/api/v1/checkouts/quote", json={"lane_id": "L1", "cashier_id": "C1",
                                                      "lines": [{"sku": "LATTE", "qty": 1}], "member": {"code": forged}})
    assert lookup.status_code == 422 and lookup.json()["errors"][0]["field"] == "code"
    assert quote.status_code == 422 and quote.json()["errors"][0]["field"] == "member.code"


def test_a_member_code_is_accepted_once_at_each_store_of_the_chain(tmp_path, clock):
    chain_key = b"c" * 32
    stores = []
    for name in ("a", "b"):
        init_store(tmp_path / name, demo_config(store_id=f"store-{name}"), clock=clock, chain_key=chain_key)
        seed_demo(tmp_path / name, clock=clock)
        stores.append(StoreRuntime(tmp_path / name, clock=clock))
    try:
        a, b = stores
        phone = "+8613800138000"
        body = EnrolIn(phone=phone, consent=ConsentIn("2026-01", True), lane_id="L1", cashier_id="C1")
        member, _ = a.writer.call(lambda conn: enrol_in(conn, a, body, phone))
        # store b knows the member the way the HQ directory would tell it: the same row
        b.writer.call(lambda conn: member_repo.insert_member(conn, member, "hash"))
        code = make_code(a.chain_key, member.member_id, clock())
        assert find(a, code=code).member_id == member.member_id
        assert find(b, code=code).member_id == member.member_id
        with pytest.raises(InvalidInput, match="already used"):
            find(b, code=code)
    finally:
        for s in stores:
            s.close()
