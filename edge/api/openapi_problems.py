"""Every operation in the served OpenAPI document says its errors are application/problem+json.

Handlers document their own success answers and some of their problems (`responses.problems`);
any operation can also refuse a body (400), a key (401/403), a path value (404/422), a size (413) or
be unable to write (503), and Litestar would document its default 400 as plain JSON. One pass
over the built document adds the problem answers each operation lacks, so a client or a fuzzer
reading the document sees what the service really answers, and a route added later gets them too.
"""

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference

from .responses import PROBLEM

ERRORS = {400: "Malformed body or parameter", 401: "No valid key", 403: "Key of the wrong role",
          404: "Not found", 405: "Method not allowed", 409: "Conflicts with the current state",
          413: "Body too large", 422: "Invalid input (field named)",
          503: "The store cannot take writes now (disk full, read-only); retry, or journal the sale"}


def document_problems(openapi: OpenAPI) -> OpenAPI:
    """Add a problem+json answer for each of ERRORS to every operation that lacks one."""
    problem = Reference(ref="#/components/schemas/Problem")
    for item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status, text in ERRORS.items():
                known = responses.get(str(status))
                content = getattr(known, "content", None) or {}
                if PROBLEM not in content:
                    responses[str(status)] = OpenAPIResponse(
                        description=getattr(known, "description", None) or text,
                        content={PROBLEM: OpenAPIMediaType(schema=problem)})
            operation.responses = responses
    return openapi


class _ProblemsDocumented(OpenAPIPlugin):
    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return document_problems(super()._build_openapi())


def install(app: Litestar) -> None:
    """Have the app's OpenAPI document built with `document_problems`, when it is first asked for.

    Litestar builds the document lazily in its OpenAPI plugin and offers no hook after the build;
    the plugin (slotted) takes a subclass that adds the pass, so an app never asked pays nothing."""
    plugin = app.plugins.get(OpenAPIPlugin)
    if type(plugin) is OpenAPIPlugin:
        plugin.__class__ = _ProblemsDocumented
