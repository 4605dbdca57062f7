"""The plugin installs on a till as its own package: a wheel built from pos_plugin/ alone, installed into
a clean virtual environment (httpx and msgspec from the package index, nothing of the edge), runs a
sale against a live edge."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pos_plugin

PLUGIN = Path(pos_plugin.__file__).parent
ALLOWED = {"store-edge-pos", "httpx", "msgspec", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi",
           "typing-extensions", "pip", "setuptools"}

SCRIPT = r"""
import importlib.metadata as md, json, sys
import pos_plugin
from pos_plugin import EdgeClient, LineIn, Payment, Till
url, key, data = sys.argv[1:4]
till = Till(EdgeClient(url, key, "L9", "C9"), data)
till.refresh_book()
quote = till.quote([LineIn("LATTE", 2), LineIn("CROISSANT", 1)])
sale = till.sell([LineIn("LATTE", 2), LineIn("CROISSANT", 1)], Payment("cash"), quote=quote)
print(json.dumps({"file": pos_plugin.__file__, "dist_version": md.version("store-edge-pos"),
                  "version": pos_plugin.__version__, "requires": md.requires("store-edge-pos"),
                  "sale_id": sale.sale_id, "total_fen": sale.total_fen, "book": till.book.version,
                  "edge_imported": sorted(m for m in sys.modules if m.split(".")[0] in ("edge", "litestar"))}))
till.close()
"""


def run(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return done.stdout


def test_the_plugin_wheel_installs_alone_in_a_clean_venv_and_sells_against_a_live_edge(live, store, tmp_path):
    server, keys = live
    source = tmp_path / "src"  # built from a copy: the build leaves nothing in the worktree
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source),
        cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("store_edge_pos-*.whl")
    venv = tmp_path / "till-venv"
    # without a pip of its own (ensurepip is most of a venv's making): this pip installs into it
    run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = str(venv / "bin" / "python")
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "-q", str(wheel), cwd=tmp_path)
    installed = {d["name"].lower().replace("_", "-") for d in json.loads(
        run(*pip, "list", "--format", "json", cwd=tmp_path))}
    assert installed <= ALLOWED and {"store-edge-pos", "httpx", "msgspec"} <= installed

    out = json.loads(run(python, "-c", SCRIPT, server.url, keys["lane"], str(tmp_path / "till"), cwd=tmp_path))
    assert Path(out["file"]).is_relative_to(venv) and out["edge_imported"] == []
    assert out["dist_version"] == out["version"] == pos_plugin.__version__
    assert sorted(r.split(">")[0].split("=")[0].strip() for r in out["requires"]) == ["httpx", "msgspec"]
    recorded = store.reader.conn.execute("SELECT total_fen, lane_id FROM sales WHERE sale_id = ?",
                                         (out["sale_id"],)).fetchone()
    assert tuple(recorded) == (out["total_fen"], "L9") and out["total_fen"] == 2 * 2800 + 1500
    assert out["book"]
