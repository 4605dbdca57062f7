"""Every printers command and printing endpoint is documented in docs/printing.md."""

from pathlib import Path

import pytest

from edge.app import create_app
from edge.cli import build_parser

DOC = (Path(__file__).resolve().parents[2] / "docs" / "printing.md").read_text()


def _printers_commands() -> list[str]:
    top = next(a for a in build_parser()._subparsers._group_actions if a.dest == "command")  # noqa: SLF001
    group = next(a for a in top.choices["printers"]._subparsers._group_actions)  # noqa: SLF001
    return list(group.choices)


@pytest.mark.parametrize("command", _printers_commands())
def test_every_printers_command_is_documented(command: str) -> None:
    assert f"store-edge printers {command}" in DOC


def test_every_printing_endpoint_is_documented(store) -> None:  # noqa: ANN001
    paths = {route.path for route in create_app(store).routes
             if any(getattr(h.fn, "__module__", "") == "edge.api.printing" for h in getattr(route, "route_handlers", []))}
    assert paths
    for path in paths:
        documented = path.replace(":str}", "}").replace(":int}", "}")
        assert f"/api/v1{documented.removeprefix('/api/v1')}" in DOC, path
