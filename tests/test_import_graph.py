"""The direction of the house: the edge never imports sync, the domain imports only the standard library
and msgspec, and the POS client imports nothing of the server. Read from the source (every import
statement, relative ones resolved), then checked by importing the edge with sync unimportable."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SERVER = ("edge", "sync", "printers")


def modules(package: str) -> list[tuple[str, Path]]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def imports(module: str, path: Path) -> set[str]:
    """Every module the file imports, absolute names, including `importlib.import_module("...")` literals."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
                found.add(target)
                if not node.module:  # `from . import x`: x may be a module
                    found.update(f"{target}.{a.name}" for a in node.names)
            else:
                found.add(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_walk_sees_relative_imports():
    found = imports("edge.services.sales", ROOT / "edge" / "services" / "sales.py")
    assert "edge.store.outbox" in found and "edge.domain.events" in found


def test_the_edge_never_imports_sync():
    bad = {(m, i) for m, p in modules("edge") for i in imports(m, p) if top(i) == "sync"}
    assert bad == set()


def test_the_domain_imports_only_the_standard_library_and_msgspec():
    allowed = set(sys.stdlib_module_names) | {"msgspec"}
    bad = {(m, i) for m, p in modules("edge/domain") for i in imports(m, p)
           if not i.startswith("edge.domain") and top(i) not in allowed}
    assert bad == set()


def test_the_pos_client_imports_nothing_of_the_server():
    bad = {(m, i) for m, p in modules("pos_plugin") for i in imports(m, p) if top(i) in SERVER}
    assert bad == set()


def test_every_edge_module_imports_and_a_bare_edge_serves_with_sync_unimportable(tmp_path):
    script = f"""
import importlib, pkgutil, sys

class NoSync:
    def find_spec(self, name, path=None, target=None):
        if name == "sync" or name.startswith("sync."):
            raise ImportError("the edge imported " + name)

sys.meta_path.insert(0, NoSync())
import edge
for info in pkgutil.walk_packages(edge.__path__, "edge."):
    if info.name != "edge.cli":  # the CLI loads installed plugins when it builds its parser
        importlib.import_module(info.name)
from litestar.testing import TestClient
from edge.app import create_app
from edge.services.runtime import StoreRuntime
from edge.services.setup import demo_config, init_store, seed_demo
init_store({str(tmp_path / "bare")!r}, demo_config(), plugins=())
keys = seed_demo({str(tmp_path / "bare")!r})
store = StoreRuntime({str(tmp_path / "bare")!r}, plugins=())
with TestClient(create_app(store)) as client:
    r = client.post("/api/v1/checkouts/quote", headers={{"Authorization": "Bearer " + keys["lane"]}},
                    json={{"lane_id": "L1", "cashier_id": "C1", "lines": [{{"sku": "LATTE", "qty": 1}}]}})
    assert r.status_code == 200, r.text
    assert client.get("/sync/v1/status", headers={{"Authorization": "Bearer " + keys["hq"]}}).status_code == 404
store.close()
print("bare edge ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "bare edge ok" in done.stdout
