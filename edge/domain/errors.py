"""One error tree for the whole service; the API maps it to problem+json (RFC 9457).

    StoreEdgeError
     ├── InvalidInput        422  a field is wrong: errors name the field and the reason
     ├── NotFound            404
     ├── Conflict            409
     │    ├── IdempotencyConflict   same id, another body
     │    ├── OutOfStock            not enough stock on hand
     │    └── CapReached            a coupon or offer is used up
     ├── Unauthorized        401
     └── Forbidden           403
"""

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    reason: str


class StoreEdgeError(Exception):
    """Base of every error the service answers with a 4xx."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    @property
    def type(self) -> str:
        return f"urn:store-edge:problem:{self.slug}"


class InvalidInput(StoreEdgeError):
    """A field of the request is wrong."""

    status, slug, title = 422, "invalid-input", "Invalid input"

    @classmethod
    def on(cls, field_name: str, reason: str) -> "InvalidInput":
        return cls(f"{field_name}: {reason}", [FieldError(field_name, reason)])


class NotFound(StoreEdgeError):
    """The thing asked for does not exist here."""

    status, slug, title = 404, "not-found", "Not found"


class Conflict(StoreEdgeError):
    """The request clashes with the current state."""

    status, slug, title = 409, "conflict", "Conflict"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before with a different body."""

    slug, title = "idempotency-conflict", "Idempotency key reused with another body"


class OutOfStock(Conflict):
    """Not enough stock on hand for a line."""

    slug, title = "out-of-stock", "Out of stock"


class CapReached(Conflict):
    """A coupon or offer has reached its cap."""

    slug, title = "cap-reached", "Cap reached"


class Unauthorized(StoreEdgeError):
    """No valid key was presented."""

    status, slug, title = 401, "unauthorized", "Unauthorized"


class Forbidden(StoreEdgeError):
    """The key is valid but its role may not do this."""

    status, slug, title = 403, "forbidden", "Forbidden"


@dataclass
class Problems:
    """Collects field errors so a request reports all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(FieldError(field_name, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            first = self.errors[0]
            raise InvalidInput(f"{first.field}: {first.reason}", self.errors)
