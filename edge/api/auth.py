"""Bearer keys per role. Handlers declare who may call them with `opt=roles("lane", ...)`.

Checked in the app's before_request hook rather than as a Litestar guard: a guard call copies the
route handler object on every request (~25 us, a fifth of a quote). The hook runs before the body
is parsed, so an unauthorised caller learns nothing about validation.
"""

from litestar.connection import ASGIConnection

from ..domain.errors import Forbidden, Unauthorized


def require_role(connection: ASGIConnection) -> None:
    """401 without a valid key, 403 with a key whose role is not in the handler's roles."""
    roles = connection.route_handler.opt.get("roles")
    if not roles:
        return
    header = _authorization(connection.scope["headers"])
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send Authorization: Bearer <key>")
    role = connection.app.state.key_verifier.role(token.strip())
    if role is None:
        raise Unauthorized("unknown or revoked key")
    if role not in roles:
        raise Forbidden(f"a {role} key may not call this; it needs {' or '.join(roles)}")
    connection.scope["state"]["role"] = role


def _authorization(raw: list[tuple[bytes, bytes]]) -> str:
    # straight from the ASGI scope: building Litestar's Headers for one value costs more than the check
    for name, value in raw:
        if name == b"authorization" or (len(name) == 13 and name.lower() == b"authorization"):
            return value.decode("latin-1")
    return ""


def roles(*names: str) -> dict:
    return {"roles": names}
