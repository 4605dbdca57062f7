"""Schemathesis against the served OpenAPI document: every operation, with each role's key.

What every answer must be, whatever the input: never a 5xx; an error is application/problem+json
with the RFC 9457 fields; a success matches the schema the document gives for it. The CI run makes
at least MIN_CASES requests; `STORE_EDGE_FUZZ_EXAMPLES=N` (or `bench/reliability.py`) runs N
examples per operation and role instead.
"""

import os
from collections import Counter
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

ROLES = ("lane", "manager", "hq")


def requests_session():  # noqa: ANN201 - schemathesis calls through requests
    import requests

    return requests.Session()
LONG = "STORE_EDGE_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("STORE_EDGE_FUZZ_EXAMPLES", "6"))  # per operation and generation mode
MIN_CASES = 1000
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def answer_problems(response) -> list[str]:  # noqa: ANN001 - schemathesis' Response
    """What is wrong with an answer beyond the schema checks: a 5xx, or an error that is not a problem."""
    wrong = []
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis keeps header lists
    if response.status_code >= 500:
        wrong.append(f"{response.status_code}: {response.text[:300]}")
    if response.status_code >= 400:
        if not content_type.startswith("application/problem+json"):
            wrong.append(f"{response.status_code} without problem+json: {content_type}")
        else:
            body = response.json()
            if not PROBLEM_FIELDS <= set(body) or body["status"] != response.status_code:
                wrong.append(f"problem without its fields: {body}")
    return wrong


def run_operation(operation, url: str, keys: dict[str, str], examples: int, tally: Counter,
                  failures: list[str]) -> None:
    session = requests_session()

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):  # inputs the schema takes, then others

        @settings(max_examples=examples, deadline=None, database=None, derandomize=not LONG,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case) -> None:
            for role in ROLES:
                headers = {"Authorization": f"Bearer {keys[role]}"}
                response = case.call(base_url=url, session=session, headers=headers, timeout=30)
                tally[(operation.label, role, response.status_code)] += 1
                wrong = answer_problems(response)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except Exception as exc:  # schemathesis' FailureGroup: one line per failed check
                    wrong.append(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
                if wrong:
                    failures.append(f"{operation.label} as {role}: {case.as_curl_command(headers)}\n  "
                                    + "\n  ".join(wrong))

        one()
    session.close()


def test_every_operation_with_every_role_answers_without_5xx_and_as_documented(served):
    server, keys, _ = served
    schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {(m.upper(), p) for p, ops in httpx.get(f"{server.url}/schema/openapi.json").json()["paths"].items()
                  for m in ops}
    assert {(op.method.upper(), op.path) for op in operations} == documented
    tally: Counter = Counter()
    failures: list[str] = []
    for operation in operations:
        run_operation(operation, server.url, keys, EXAMPLES, tally, failures)
    report(tally)
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:20])
    assert {(label, role) for label, role, _ in tally} == {(op.label, r) for op in operations for r in ROLES}
    assert sum(tally.values()) >= (MIN_CASES if not LONG else 0), sum(tally.values())


def report(tally: Counter) -> None:
    """One line for bench/reliability.py to read: cases made and 5xx answers."""
    cases = sum(tally.values())
    errors = sum(n for (_, _, status), n in tally.items() if status >= 500)
    print(f"\nfuzz: {cases} cases, {errors} 5xx, {len({k[0] for k in tally})} operations")


def test_the_fuzz_store_is_a_real_one(served, tmp_path: Path):
    """The fuzzer's store answers a real lane call: its keys and data are the demo's, not a stub."""
    server, keys, _ = served
    r = httpx.get(f"{server.url}/api/v1/catalog", headers={"Authorization": f"Bearer {keys['lane']}"})
    assert r.status_code == 200 and {"LATTE", "CROISSANT"} <= {i["sku"] for i in r.json()}

