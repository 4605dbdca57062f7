"""Which process serves a store: an advisory lock on `<data dir>/serve.lock` held for the server's life.

The kernel drops the lock when the process ends however it ends (SIGKILL, a power cut), so a stale
file never blocks anything. A restore takes the same lock, so it never swaps the file under a running
service, and a service cannot start halfway through a restore.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

LOCK_NAME = "serve.lock"


class StoreBusy(RuntimeError):
    """Another process serves (or is restoring) this store."""


def hold(data_dir: Path | str) -> IO[str]:
    """Take the store's lock for this process; keep the returned file open as long as it is needed."""
    path = Path(data_dir) / LOCK_NAME
    handle = open(path, "a+")  # noqa: SIM115 - held for the caller's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreBusy(f"the store at {data_dir} is in use by {holder}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


@contextmanager
def holding(data_dir: Path | str) -> Iterator[None]:
    handle = hold(data_dir)
    try:
        yield
    finally:
        handle.close()


def held_by_other(data_dir: Path | str) -> bool:
    """True while another process holds the store's lock."""
    path = Path(data_dir) / LOCK_NAME
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False
