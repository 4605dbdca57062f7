"""The locks (deploy/requirements.lock for the service, deploy/requirements-test.lock for the tests) agree
with pyproject.toml, carry hashes, pin the same versions for what they share, and are what runs here.

When one fails, regenerate both (uv, https://docs.astral.sh/uv/):
    uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o deploy/requirements.lock
    uv pip compile pyproject.toml --extra test --universal --python-version 3.11 --generate-hashes \
        -o deploy/requirements-test.lock
"""

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"runtime": ROOT / "deploy" / "requirements.lock", "test": ROOT / "deploy" / "requirements-test.lock"}
SELF = "store-edge (pyproject.toml)"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


@dataclass
class Pin:
    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        found = _PIN.match(raw)
        if found:
            current = Pin(canonicalize_name(found["name"]), found["version"], found["marker"])
            pins[current.name] = current
            in_via = False
        elif current and line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current and line.startswith("# via"):
            in_via = True
            rest = line.removeprefix("# via").strip()
            if rest:
                current.via.append(rest)
        elif current and in_via and line.startswith("#   "):
            current.via.append(line.removeprefix("#").strip())
        elif line and not line.startswith("#"):
            raise AssertionError(f"{path.name}: a line the lock test cannot read: {raw!r}")
    return pins


def declared(kind: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    if kind == "test":
        reqs += [Requirement(r) for r in project["optional-dependencies"]["test"]]
    return reqs


@pytest.mark.parametrize("kind", LOCKS)
def test_every_declared_dependency_is_pinned_within_its_range(kind):
    pins = read_lock(LOCKS[kind])
    for req in declared(kind):
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req} is in pyproject.toml but not in {LOCKS[kind].name}: regenerate the lock"
        assert req.specifier.contains(pin.version, prereleases=True), \
            f"{LOCKS[kind].name} pins {pin.name}=={pin.version}, outside pyproject's {req}: regenerate the lock"
        if req.marker is not None:
            assert pin.marker is not None and Marker(pin.marker) == req.marker, f"{pin.name}: marker differs"


@pytest.mark.parametrize("kind", LOCKS)
def test_the_lock_was_made_from_exactly_these_declarations(kind):
    pins = read_lock(LOCKS[kind])
    from_project = {p.name for p in pins.values() if SELF in p.via}
    assert from_project == {canonicalize_name(r.name) for r in declared(kind)}, \
        "pyproject.toml gained or lost a dependency since the lock was made: regenerate the lock"
    header = LOCKS[kind].read_text().splitlines()[:3]
    assert any("--generate-hashes" in line for line in header)
    assert any(("--extra test" in line) == (kind == "test") for line in header if "uv pip compile" in line)


@pytest.mark.parametrize("kind", LOCKS)
def test_every_pin_carries_sha256_hashes(kind):
    for pin in read_lock(LOCKS[kind]).values():
        assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), pin.name


def test_the_service_and_the_tests_pin_the_same_versions():
    runtime, test = read_lock(LOCKS["runtime"]), read_lock(LOCKS["test"])
    assert set(runtime) <= set(test)
    assert {n: p.version for n, p in runtime.items()} == {n: test[n].version for n in runtime}


def test_the_tests_run_on_the_locked_versions():
    """What `deploy/dev.sh test` installs is what ran: a venv made otherwise fails here."""
    drift = []
    for pin in read_lock(LOCKS["test"]).values():
        if pin.name in {"pip", "setuptools"} or (pin.marker and not Marker(pin.marker).evaluate()):
            continue
        try:
            have = importlib.metadata.version(pin.name)
        except importlib.metadata.PackageNotFoundError:
            have = "missing"
        if have != pin.version:
            drift.append(f"{pin.name} {have} (lock: {pin.version})")
    assert not drift, "this environment is not the lock's (run bash deploy/dev.sh test): " + ", ".join(drift)


def test_the_lock_reader_notices_a_pin_outside_the_declared_range(tmp_path):
    text = LOCKS["runtime"].read_text()
    pinned = read_lock(LOCKS["runtime"])["litestar"].version
    broken = tmp_path / "requirements.lock"
    broken.write_text(text.replace(f"litestar=={pinned}", "litestar==3.0.0"))
    pin = read_lock(broken)["litestar"]
    (req,) = [r for r in declared("runtime") if r.name == "litestar"]
    assert not req.specifier.contains(pin.version)
