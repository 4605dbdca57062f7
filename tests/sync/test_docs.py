"""Every sync and HQ command is documented in docs/sync.md."""

from pathlib import Path

import pytest

from edge.cli import build_parser

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sync.md").read_text()


def _subcommands(name: str) -> list[str]:
    parser = build_parser()
    top = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # noqa: SLF001
    sub = top.choices[name]
    group = next(a for a in sub._subparsers._group_actions)  # noqa: SLF001
    return list(group.choices)


@pytest.mark.parametrize(("group", "command"), [("hq", c) for c in _subcommands("hq")]
                         + [("sync", c) for c in _subcommands("sync")])
def test_every_sync_and_hq_command_is_documented(group, command):
    assert f"store-edge {group} {command}" in DOC
