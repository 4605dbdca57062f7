"""What the `store-edge` commands share: finding the store's folder, and the --data-dir option."""

import argparse
import os
import sys
from pathlib import Path

from .store.connection import DB_NAME


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="the store's folder (or STORE_EDGE_DATA_DIR)")


def data_dir(args: argparse.Namespace, default: str | None = None) -> Path:
    """--data-dir, else STORE_EDGE_DATA_DIR, else `default`; exits with a message when none is given."""
    value = args.data_dir or os.environ.get("STORE_EDGE_DATA_DIR") or default
    if not value:
        sys.exit("store-edge: give --data-dir or set STORE_EDGE_DATA_DIR")
    return Path(value)


def existing_store(args: argparse.Namespace) -> Path:
    """The data dir of a store that exists; exits with a message otherwise."""
    found = data_dir(args)
    if not (found / DB_NAME).exists():
        sys.exit(f"store-edge: no store at {found}")
    return found
