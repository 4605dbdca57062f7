"""What every page shares: templates, zh/en texts, CSRF tokens, staff and member cookies."""

import base64
import hashlib
import hmac
import secrets
import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie

from ..api.headers import location as header_location
from ..domain.birthday import month_day
from ..services.runtime import StoreRuntime
from .texts import TEXTS

HTML = "text/html; charset=utf-8"
CSRF_COOKIE = "se_csrf"
MEMBER_COOKIE = "se_member"
STAFF_COOKIE = "se_staff"
STAFF_HOURS = 12

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def lang_of(request: Request, form: dict | None = None) -> str:
    chosen = (form or {}).get("lang") or request.query_params.get("lang")
    return "en" if chosen == "en" else "zh"


def page(template: str, status: int = 200, lang: str = "zh", cookies: list[Cookie] | None = None,
         headers: dict | None = None, **context: object) -> Response[str]:
    """Render a page; `t` in templates is the texts of the page's language."""
    html = _env.get_template(template).render(t=TEXTS[lang], lang=lang, **context)
    base = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
    return Response(html, status_code=status, media_type=HTML, cookies=cookies or [], headers={**base, **(headers or {})})


def message(store: StoreRuntime, lang: str, status: int, key: str, reason: str, headers: dict | None = None,
            body_key: str | None = None) -> Response[str]:
    """A one-message page (refused token, expired form, rate limit...); `reason` is for machines and tests."""
    t = TEXTS[lang]
    return page("message.html", status, lang, headers=headers, store_name=store.config.name, title=t[f"{key}_title"],
                body=t[body_key or f"{key}_body"], reason=reason)


def limited(store: StoreRuntime, lang: str) -> Response[str]:
    return message(store, lang, 429, "limited", "rate-limited", {"Retry-After": "60"})


def form_expired(store: StoreRuntime, lang: str) -> Response[str]:
    return message(store, lang, 403, "csrf", "csrf")


def form_birthday(form: dict) -> str | None:
    """The birthday a form's month and day fields give (MM-DD), None when both are left empty;
    ValueError says what is wrong. Not cut short first: "123" must not read as month 12."""
    return month_day(str(form.get("birthday_month", "")), str(form.get("birthday_day", "")))


def redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response("", status_code=303, headers={"Location": header_location(location)}, cookies=cookies or [])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(store: StoreRuntime, purpose: str, value: str) -> str:
    return _b64(hmac.new(store.store_key, f"{purpose}|{value}".encode(), hashlib.sha256).digest()[:16])


# --- CSRF: a random cookie, and in each form an HMAC of it (works without JavaScript) ------------

def csrf(request: Request, store: StoreRuntime, scope: str) -> tuple[str, list[Cookie]]:
    """The form token for `scope`, and the cookie to set when the browser has none yet."""
    seed = request.cookies.get(CSRF_COOKIE)
    cookies = []
    if not seed or len(seed) > 64:
        seed = secrets.token_urlsafe(24)
        cookies.append(Cookie(key=CSRF_COOKIE, value=seed, httponly=True, samesite="lax", path="/"))
    return _mac(store, "csrf|" + scope, seed), cookies


def csrf_ok(request: Request, store: StoreRuntime, scope: str, sent: str | None) -> bool:
    seed = request.cookies.get(CSRF_COOKIE)
    return bool(seed and sent) and hmac.compare_digest(_mac(store, "csrf|" + scope, seed), sent or "")


# --- staff: a lane or manager key typed once, kept as a signed role cookie -----------------------

def staff_cookie(store: StoreRuntime, role: str, key_id: str) -> Cookie:
    """A signed session for the staff pages, bound to the key that signed in: revoking the key ends it."""
    value = f"{role}.{key_id}.{int(time.time()) + STAFF_HOURS * 3600}"
    return Cookie(key=STAFF_COOKIE, value=f"{value}.{_mac(store, 'staff', value)}", httponly=True, samesite="strict", path="/",
                  max_age=STAFF_HOURS * 3600)


def staff_role(request: Request, store: StoreRuntime) -> str | None:
    """The role a signed, unexpired staff cookie grants while its key is live, or None."""
    raw = request.cookies.get(STAFF_COOKIE, "")
    value, _, mac = raw.rpartition(".")
    role, key_id, until = (value.split(".") + ["", "", ""])[:3]
    if not mac or not until.isdigit() or not hmac.compare_digest(mac, _mac(store, "staff", value)):
        return None
    if int(until) <= time.time() or not request.app.state.key_verifier.live(key_id):
        return None
    return role


def member_cookie(secret: str, max_age: int) -> Cookie:
    return Cookie(key=MEMBER_COOKIE, value=secret, httponly=True, samesite="lax", path="/", max_age=max_age)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
