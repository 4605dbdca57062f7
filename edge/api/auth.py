"""Bearer keys per role. Handlers declare who may call them with `opt=roles("lane", ...)`.

Checked in the app's before_request hook rather than as a Litestar guard: a guard call copies the
route handler object on every request (~25 us, a fifth of a quote). The hook runs before the body
is parsed, so an unauthorised caller learns nothing about validation.
"""

from contextvars import ContextVar

from litestar.connection import ASGIConnection

from ..domain.errors import Forbidden, Unauthorized

# (key id, role) of the request being handled: the sale records which lane key made it, so that lane
# alone may void it within its window. Set per request by the hook; a request task has its own context.
_caller: ContextVar[tuple[str, str] | None] = ContextVar("caller", default=None)


def caller() -> tuple[str | None, str | None]:
    """(key id, role) of the key that made the current request; (None, None) on an open route."""
    found = _caller.get()
    return (None, None) if found is None else found


def require_role(connection: ASGIConnection) -> None:
    """401 without a valid key, 403 with a key whose role is not in the handler's roles."""
    roles = connection.route_handler.opt.get("roles")
    if not roles:
        _caller.set(None)
        return
    header = _authorization(connection.scope["headers"])
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send Authorization: Bearer <key>")
    found = connection.app.state.key_verifier.key(token.strip())
    if found is None:
        raise Unauthorized("unknown or revoked key")
    key_id, role = found
    if role not in roles:
        raise Forbidden(f"a {role} key may not call this; it needs {' or '.join(roles)}")
    connection.scope["state"]["role"] = role
    connection.scope["state"]["key_id"] = key_id  # who recorded it, for records that must say so
    _caller.set(found)


def _authorization(raw: list[tuple[bytes, bytes]]) -> str:
    # straight from the ASGI scope: building Litestar's Headers for one value costs more than the check
    for name, value in raw:
        if name == b"authorization" or (len(name) == 13 and name.lower() == b"authorization"):
            return value.decode("latin-1")
    return ""


def roles(*names: str) -> dict:
    return {"roles": names}
