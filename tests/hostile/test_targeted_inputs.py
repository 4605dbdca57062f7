"""Hypothesis where the OpenAPI document cannot say what arrives: path and query values as raw bytes,
headers, cookies, page forms, text that reaches posters and log lines. Over real sockets, so a
dropped connection shows as a transport error, not as a status.

Every answer: no 5xx, and on API paths an error is application/problem+json.
"""

import logging
import re
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.api.log_fields import log_text
from edge.domain.text import CONTROL_CHARACTERS, INT64_MAX
from edge.pages import RateLimits

SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

# what a hostile caller reaches for: line breaks, controls, non-ASCII, overrides, huge and odd numbers
EDGES = ["\r\nSet-Cookie: x=1", "a\nb", "A1\n", "\x00", "\u001e", "中文", "\u202etxt.exe", "../../etc/passwd",
         "%0d%0a", "\ud800", "A" * 5000, " ", "null", "-1", "1e400", "0x10", "1.0",
         str(INT64_MAX), str(INT64_MAX + 1), str(-(2**63)), str(-(2**63) - 1), str(2**64), "9" * 40]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(EDGES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@pytest.fixture(scope="module")
def templates(served) -> list[tuple[str, str]]:
    """(method, path template) of every operation with a path parameter, from the served document."""
    server, _, _ = served
    doc = httpx.get(f"{server.url}/schema/openapi.json").json()
    found = [(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if "{" in p]
    # and the pages' own path values, which the document leaves out
    found += [("GET", "/display/{lane_id}"), ("GET", "/display/{lane_id}/state"), ("GET", "/j/{token}"),
              ("POST", "/j/{token}"), ("GET", "/j/{token}/qr.png"), ("GET", "/s/{short_code}"), ("GET", "/m/{session}"),
              ("GET", "/manager/standees/{standee_id}/poster.png"), ("POST", "/manager/standees/{standee_id}/revoke")]
    return found


def assert_answered_well(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])
    path = r.request.url.path
    if r.status_code >= 400 and path.startswith(("/api/", "/sync/")):
        assert r.headers["content-type"].startswith("application/problem+json"), (path, r.status_code, r.text[:200])
    for name, value in r.headers.items():  # what reached a header is visible ASCII
        assert value.isascii() and "\n" not in value and "\r" not in value, (name, value)


def role_headers(keys: dict[str, str], method: str, path: str) -> dict[str, str]:
    role = "hq" if path.startswith("/sync/") else "manager" if method != "POST" or "standees" in path else "lane"
    return {"Authorization": f"Bearer {keys[role]}"}


def test_path_values_of_any_bytes_never_5xx_nor_drop_the_connection(served, templates):
    """Each path value of each route with every edge value, then random ones."""
    server, keys, _ = served

    def one(index: int, value: str) -> None:
        method, template = templates[index]
        raw = quote(value.encode("utf-8", "surrogatepass"), safe="") or "%20"
        path = re.sub(r"\{[^}]+\}", raw, template, count=1)
        path = re.sub(r"\{[^}]+\}", "x", path)
        r = client.request(method, path, headers=role_headers(keys, method, path),
                           json={} if method in ("POST", "PUT") and path.startswith(("/api/", "/sync/")) else None)
        assert_answered_well(r)

    with httpx.Client(base_url=server.url, timeout=10) as client:
        for index in range(len(templates)):
            for value in EDGES:
                one(index, value)
        SETTINGS(given(index=st.integers(0, len(templates) - 1), value=HOSTILE_TEXT)(one))()


def test_query_values_of_any_bytes_never_5xx(served):
    server, keys, _ = served
    doc = httpx.get(f"{server.url}/schema/openapi.json").json()
    queries = [(m.upper(), p, prm["name"]) for p, ops in doc["paths"].items() for m, op in ops.items()
               for prm in op.get("parameters", []) if prm["in"] == "query" and "{" not in p]
    queries += [("GET", "/staff/login", "next"), ("GET", "/till", "lane"), ("GET", "/m", "lang"), ("GET", "/j/x", "lang")]
    assert queries

    def one(index: int, value: str) -> None:
        method, path, name = queries[index]
        query = f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        r = client.request(method, f"{path}?{query}", headers=role_headers(keys, method, path))
        assert_answered_well(r)

    with httpx.Client(base_url=server.url, timeout=10) as client:
        for index in range(len(queries)):
            for value in EDGES:
                one(index, value)
        SETTINGS(given(index=st.integers(0, len(queries) - 1), value=HOSTILE_TEXT)(one))()


def test_headers_and_cookies_of_any_value_never_5xx(served):
    server, keys, _ = served
    latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=300)  # what h11 sends

    @SETTINGS
    @given(auth=st.one_of(latin1, latin1.map(lambda v: f"Bearer {v}"), st.just(f"Bearer {keys['lane']} x")),
           idem=latin1, accept=latin1, cookie=latin1,
           target=st.sampled_from([("POST", "/api/v1/members"), ("GET", "/api/v1/catalog"), ("GET", "/till"),
                                   ("GET", "/m"), ("GET", "/manager"), ("GET", "/sync/v1/batches/1"),
                                   ("POST", "/m/consent"), ("GET", "/display/L1/state")]))
    def one(auth: str, idem: str, accept: str, cookie: str, target: tuple[str, str]) -> None:
        method, path = target
        headers = {"Authorization": auth, "Idempotency-Key": idem, "Accept": accept, "Accept-Encoding": accept,
                   "Cookie": f"se_staff={cookie}; se_member={cookie}; se_csrf={cookie}"}
        # latin-1 bytes as sent on the wire: httpx would refuse str values outside ASCII
        raw = {name: value.strip(" \t").encode("latin-1") for name, value in headers.items()}
        r = client.request(method, path, headers=raw, json={} if method == "POST" else None)
        assert_answered_well(r)

    with httpx.Client(base_url=server.url, timeout=10) as client:
        one()


def test_page_forms_of_any_fields_never_5xx(served):
    server, keys, _ = served
    forms = ["/staff/login", "/till/lookup", "/till/enrol", "/manager/standees", "/m/consent", "/m/delete"]

    @SETTINGS
    @given(path=st.sampled_from(forms), fields=st.dictionaries(
        st.sampled_from(["next", "key", "csrf", "q", "phone", "consent", "label", "location", "lane_id",
                         "cashier_id", "welcome_campaign_id", "purpose", "confirm", "lang"]),
        HOSTILE_TEXT.filter(lambda v: "\ud800" not in v), max_size=6))
    def one(path: str, fields: dict[str, str]) -> None:
        r = client.post(path, data=fields)
        assert_answered_well(r)

    with httpx.Client(base_url=server.url, timeout=10) as client:
        one()


def test_a_signed_in_staff_form_with_any_label_never_5xx_and_any_poster_renders(served):
    """Through the real manager page: sign in, then post standee forms with hostile labels; whatever
    was stored renders as a poster."""
    server, keys, store = served
    server.server.config.app.state.rate_limits = RateLimits()  # the form fuzzing above used this address's
    with httpx.Client(base_url=server.url, timeout=30) as c:
        page = c.get("/staff/login", params={"next": "/manager"}).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert c.post("/staff/login", data={"key": keys["manager"], "next": "/manager", "csrf": csrf}).status_code == 303

        @settings(SETTINGS, max_examples=25)
        @given(label=HOSTILE_TEXT.filter(lambda v: "\ud800" not in v), location=HOSTILE_TEXT.filter(
            lambda v: "\ud800" not in v))
        def one(label: str, location: str) -> None:
            token = re.search(r'name="csrf" value="([^"]+)"', c.get("/manager").text).group(1)
            r = c.post("/manager/standees", data={"label": label, "location": location, "csrf": token},
                       follow_redirects=False)
            assert_answered_well(r)

        one()
        standees = c.get("/api/v1/standees", headers={"Authorization": f"Bearer {keys['manager']}"}).json()
        assert standees
        for s in standees[-5:]:
            assert not CONTROL_CHARACTERS.search(s["label"] + s["location"])
            r = c.get(f"/api/v1/standees/{s['standee_id']}/poster.png", params={"size": "80mm"},
                      headers={"Authorization": f"Bearer {keys['manager']}"})
            assert r.status_code == 200 and r.content.startswith(b"\x89PNG")


@SETTINGS
@given(text=st.text(max_size=60))
def test_any_text_a_poster_is_given_renders(text: str):
    """The poster's text layer drops control characters itself: a label stored before the input rule
    (U+001E made raqm fail) still prints."""
    from printers.posters import render_poster

    img = render_poster("80mm", store_name=text or "x", url="http://127.0.0.1:8000/j/x", short_url="s/x",
                        label=text)
    assert img.width > 0


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_a_logged_path_is_one_printable_line_whatever_its_bytes(raw: bytes):
    field = log_text(raw)
    assert field.isascii() and field.isprintable()
    assert "\n" not in field and "\r" not in field


def test_the_access_log_writes_the_raw_path_escaped_one_line_per_request(served, caplog):
    server, keys, _ = served
    caplog.set_level(logging.INFO, logger="store_edge.access")
    forged = "/api/v1/x%0A2026-01-01 00:00:00 INFO store_edge.access POST /api/v1/sales 201"
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get(forged).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "store_edge.access"]
    mine = [line for line in lines if "/api/v1/x" in line]
    assert len(mine) == 1 and "\n" not in mine[0] and "%0A2026" in mine[0], lines
