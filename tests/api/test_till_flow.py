"""The cashier's path: enrol, look up, quote, sell, void, through the real app and SQLite file."""

from builders import enrol_body, quote_body, sale_body


def test_enrolling_a_new_phone_answers_201_and_the_same_phone_again_answers_200_with_that_member(api):
    first = api.post("/api/v1/members", json=enrol_body("+86 138 0013 8000"))
    again = api.post("/api/v1/members", json=enrol_body("１３８００１３８０００"))
    assert first.status_code == 201 and first.json()["created"] is True
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["member_id"] == first.json()["member_id"]
    assert first.json()["phone_masked"] == "138****8000"


def test_a_member_is_found_by_phone_and_by_member_id(api):
    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    by_phone = api.get("/api/v1/members/lookup", params={"phone": "0086 138 0013 8000"})
    by_id = api.get("/api/v1/members/lookup", params={"member_id": member_id})
    assert by_phone.status_code == 200 and by_phone.json()["member_id"] == member_id
    assert by_id.json()["member_id"] == member_id


def test_looking_up_an_unknown_phone_is_404_problem_json(api):
    r = api.get("/api/v1/members/lookup", params={"phone": "13900139000"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"field": "phone", "reason": "no member found"}]


def test_a_sale_is_recorded_and_its_replay_returns_identical_bytes(api):
    body = sale_body(("LATTE", 2), ("CROISSANT", 1), sale_id="s-replay")
    first = api.post("/api/v1/sales", json=body)
    second = api.post("/api/v1/sales", json=body)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert first.json()["total_fen"] == 2 * 2800 + 1500


def test_an_enrolment_retried_with_its_idempotency_key_answers_the_first_answer(api):
    headers = {"Idempotency-Key": "till-L1-7781"}
    first = api.post("/api/v1/members", json=enrol_body(), headers=headers)
    retry = api.post("/api/v1/members", json=enrol_body(), headers=headers)
    assert first.status_code == retry.status_code == 201 and first.content == retry.content
    other = api.post("/api/v1/members", json=enrol_body("13900139000"), headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert api.post("/api/v1/members", json=enrol_body()).status_code == 200  # without the key: existing member


def test_a_quote_by_member_code_prices_for_the_member_once_and_a_replayed_code_is_refused(api, store):
    from edge.domain.member_code import make_code

    member_id = api.post("/api/v1/members", json=enrol_body()).json()["member_id"]
    code = make_code(store.chain_key, member_id, store.clock())
    first = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"code": code}))
    assert first.status_code == 200 and first.json()["member"]["member_id"] == member_id
    replay = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"code": code}))
    assert replay.status_code == 422 and replay.json()["errors"][0]["field"] == "member.code"
    again = api.post("/api/v1/checkouts/quote", json=quote_body(("LATTE", 1), member={"member_id": member_id}))
    assert again.status_code == 200  # the lane re-quotes by member_id after the first scan
