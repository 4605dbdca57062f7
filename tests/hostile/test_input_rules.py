"""The input rules hold for every route, including routes added later: read off the handlers' own types.

- every integer a body, path or query takes is bounded within SQLite's int64;
- every string is bounded in length, and every pattern anchors the whole string (`\\A…\\Z`);
- every request Struct forbids unknown fields, except HQ's wire types, which stay open so a newer
  HQ keeps working with an older store (their depth is bounded by the decoder's limit).
"""

from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from msgspec import inspect as mi

from edge.app import create_app
from edge.domain.text import INT64_MAX, full_match

from builders import sale_body

OPEN_WIRE_TYPES = {"AckIn", "BundleEnvelope"}
INT64_MIN = -(2**63)


def violations(info: mi.Type, where: str, seen: set) -> list[str]:
    found: list[str] = []
    if isinstance(info, mi.IntType):
        low = info.ge if info.ge is not None else info.gt
        high = info.le if info.le is not None else info.lt
        if low is None or high is None or low < INT64_MIN or high > INT64_MAX:
            found.append(f"{where}: integer bounded by [{low}, {high}]")
    elif isinstance(info, mi.StrType):
        if info.max_length is None:
            found.append(f"{where}: string without a max_length")
        if info.pattern is not None and not full_match(info.pattern):
            found.append(f"{where}: pattern {info.pattern!r} does not anchor the whole string")
    elif isinstance(info, mi.StructType):
        if info.cls in seen:
            return found
        seen.add(info.cls)
        if not info.forbid_unknown_fields and info.cls.__name__ not in OPEN_WIRE_TYPES:
            found.append(f"{where}: {info.cls.__name__} takes unknown fields")
        for f in info.fields:
            found += violations(f.type, f"{where}.{f.name}", seen)
    elif isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        if info.max_length is None:
            found.append(f"{where}: array without a max_length")
        found += violations(info.item_type, f"{where}[]", seen)
    elif isinstance(info, mi.UnionType):
        for t in info.types:
            found += violations(t, where, seen)
    elif isinstance(info, (mi.DictType, mi.AnyType)):
        found.append(f"{where}: free-form {type(info).__name__}")
    return found


def route_handlers(store) -> list[Any]:  # noqa: ANN001
    with TestClient(create_app(store)) as client:
        app = client.app
        return [(route.path, h) for route in app.routes for h in getattr(route, "route_handlers", ())]


def test_every_body_path_and_query_value_is_bounded_and_anchored(store):
    found = []
    for path, handler in route_handlers(store):
        for name, field in handler.parsed_fn_signature.parameters.items():
            kwarg = getattr(field, "kwarg_definition", None)
            if name == "data":
                if getattr(getattr(kwarg, "media_type", None), "value", "application/json") != "application/json":
                    continue
                found += violations(mi.type_info(field.annotation), f"{path} body", set())
            elif kwarg is not None and type(kwarg).__name__ in ("ParameterKwarg",) and field.annotation in (int, str):
                where = f"{path} {name}"
                if field.annotation is int and (kwarg.le is None and kwarg.lt is None):
                    found.append(f"{where}: integer parameter without an upper bound")
                if field.annotation is str and kwarg.max_length is None and "{" + name in path:
                    found.append(f"{where}: path value without a max_length")
                if kwarg.pattern is not None and not full_match(kwarg.pattern):
                    found.append(f"{where}: pattern {kwarg.pattern!r} does not anchor the whole string")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("sale_id", ["A1\n", "A1\r\n", "A 1", "Ａ1", "A1\u202e", "x" * 65])
def test_an_id_with_a_trailing_newline_or_anything_else_outside_its_pattern_is_refused(api, sale_id):
    r = api.post("/api/v1/sales", json=sale_body(sale_id=sale_id))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sale_id"


def test_the_rule_checker_sees_what_it_must_refuse():
    class Loose(msgspec.Struct):
        n: int
        s: str

    found = violations(mi.type_info(Loose), "Loose", set())
    assert any("integer bounded" in f for f in found) and any("max_length" in f for f in found)
    assert any("unknown fields" in f for f in found)
