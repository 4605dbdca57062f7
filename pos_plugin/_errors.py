"""The client's exception tree (drawn in the package docstring)."""

from dataclasses import dataclass, field


class EdgeError(Exception):
    """Base of every error the client raises."""


class EdgeUnreachable(EdgeError):
    """The edge did not answer, even after retries: keep the sale in the OfflineJournal."""


class EdgeUnavailable(EdgeUnreachable):
    """The edge answered 503, even after retries (its disk is full or read-only): journal the sale too."""


@dataclass
class FieldProblem:
    field: str
    reason: str


@dataclass
class ProblemError(EdgeError):
    """The edge answered with application/problem+json."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    errors: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


class AuthError(ProblemError):
    """401 or 403: the lane key is missing, revoked, or of the wrong role."""


class NotFoundError(ProblemError):
    """404: no such member or sale."""


class ConflictError(ProblemError):
    """409: not enough stock, or an id reused with another body."""


class InvalidInputError(ProblemError):
    """400/413/422: a field is wrong; `errors` names it."""


def problem_from(status: int, body: dict) -> ProblemError:
    kind = {401: AuthError, 403: AuthError, 404: NotFoundError, 409: ConflictError,
            400: InvalidInputError, 413: InvalidInputError, 422: InvalidInputError}.get(status, ProblemError)
    errors = [FieldProblem(str(e.get("field", "")), str(e.get("reason", ""))) for e in body.get("errors", [])
              if isinstance(e, dict)]
    return kind(status=status, title=str(body.get("title", "")), detail=str(body.get("detail", "")),
                type=str(body.get("type", "about:blank")), errors=errors)
