"""python-escpos, loaded on first use with its import-time side effects contained.

Importing it calls `logging.basicConfig()` (a stderr handler on the root logger, which would
duplicate every log line of the service) and makes a new temporary folder for its capabilities
cache on every import. So it is imported only when something is encoded, its cache goes to one
folder that is reused, and the root logger is put back as it was.
"""

import logging
import os
import pickle
import tempfile
import threading
from functools import cache
from pathlib import Path

_lock = threading.Lock()

# Printer profiles from python-escpos's database whose paper width is ours: the profile decides
# the widest image it accepts and whether it cuts.
PROFILES = {58: "Sunmi-V2", 80: "TM-T20II"}  # 384 and 576 dots


@cache
def _module():  # noqa: ANN202 - the escpos.printer module
    with _lock:
        cache_dir = Path(tempfile.gettempdir()) / "store-edge-escpos"
        cache_dir.mkdir(exist_ok=True)
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache_dir))
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            try:
                import escpos.printer  # noqa: PLC0415 - deliberately lazy, see the module docstring
            except (EOFError, pickle.UnpicklingError):
                # another process was writing the shared cache as we read it (python-escpos writes it
                # in place): build a private one this once
                os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = tempfile.mkdtemp(prefix="store-edge-escpos-")
                import escpos.printer  # noqa: PLC0415
        finally:
            for h in list(root.handlers):
                if h not in handlers:
                    root.removeHandler(h)
            root.setLevel(level)
        return escpos.printer


def dummy(width_mm: int):  # noqa: ANN201 - escpos.printer.Dummy
    """A python-escpos printer that collects bytes, with the profile for this paper width."""
    return _module().Dummy(profile=PROFILES[width_mm])
