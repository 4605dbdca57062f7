"""Documented answers shared by handlers, so the OpenAPI document shows the problem+json errors."""

from litestar.openapi.datastructures import ResponseSpec

from ..schemas import Problem

PROBLEM = "application/problem+json"


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem+json answers a handler can give, plus 401/403 for every keyed route."""
    text = {400: "Malformed body", 401: "No valid key", 403: "Key of the wrong role", 404: "Not found",
            409: "Conflicts with the current state", 413: "Body too large", 422: "Invalid input (field named)"}
    return {s: ResponseSpec(data_container=Problem, media_type=PROBLEM, description=text[s], generate_examples=False)
            for s in (401, 403, *statuses)}
