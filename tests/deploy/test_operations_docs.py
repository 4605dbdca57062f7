"""The README stands alone in a clone, and the operations docs, the API doc and the config example say
what the program does."""

import re
import tempfile
import tomllib
from pathlib import Path

import msgspec
import pytest

from edge.app import create_app
from edge.cli import build_parser
from edge.service_config import ServiceConfig
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
API = (ROOT / "docs" / "api.md").read_text()
EXAMPLE = (ROOT / "deploy" / "config.example.toml").read_text()


@pytest.mark.parametrize("command", ["backup", "restore", "upgrade", "doctor"])
def test_every_operations_command_is_documented(command):
    assert command in build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    assert f"store-edge {command}" in OPERATIONS and f"store-edge {command}" in README


def test_the_readme_and_docs_stand_alone_and_speak_to_their_readers():
    for name, text in [("README.md", README), *((p.name, p.read_text()) for p in (ROOT / "docs").glob("*.md"))]:
        assert "../shared" not in text, name
        assert not re.search(r"\bissue \d+|closing notes", text, re.IGNORECASE), name
    for link in re.findall(r"\]\(((?:docs|deploy)/[^)#]+)\)", README):
        assert (ROOT / link).exists(), link


def test_every_path_in_the_api_doc_is_served():
    with tempfile.TemporaryDirectory() as tmp:
        init_store(tmp, demo_config())
        store = StoreRuntime(tmp)
        try:
            served = create_app(store).openapi_schema.to_schema()["paths"]
        finally:
            store.close()
    served_paths = {re.sub(r"\{[^}]+\}", "{}", p) for p in served}
    documented = set()
    for cell in re.findall(r"`(?:GET|POST|PUT|DELETE) (/(?:api|sync)/v1/[^`?]*|/healthz)", API):
        documented.add(re.sub(r"\{[^}]+\}", "{}", cell))
    assert len(documented) >= 25
    assert documented <= served_paths, documented - served_paths


def _keys(obj: object, prefix: str = "") -> set[str]:
    if isinstance(obj, dict):
        return {k for key, value in obj.items() for k in ({prefix + key} | _keys(value, prefix + key + "."))}
    return set()


def test_the_config_example_names_every_setting_and_only_real_ones():
    filled = EXAMPLE.replace("@DATA_DIR@", "/var/lib/store-edge").replace("@HOST@", "0.0.0.0").replace("@PORT@", "8000")
    raw = tomllib.loads(filled)
    msgspec.convert(raw, ServiceConfig)  # no unknown or mistyped setting
    defaults = msgspec.to_builtins(ServiceConfig())
    defaults.pop("source")
    shown = _keys(raw) | {"printers", *re.findall(r"^# (\w+) = ", filled, re.MULTILINE)}
    for key in _keys(defaults):
        assert key in shown or key.split(".")[-1] in shown, f"{key} is not in deploy/config.example.toml"
