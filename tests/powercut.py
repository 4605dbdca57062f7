"""A SQLite VFS for tests that loses, at a power cut, every write not yet fsynced.

It wraps the default VFS ("unix") of the very libsqlite3 that Python's sqlite3 module runs on, and
is registered there through ctypes. (APSW would be the usual tool, but its wheels carry their own
copy of SQLite: a VFS registered through it is invisible to the stdlib connections the store
opens.) Every file SQLite opens through it (database, WAL, journals) is tracked by path: writes
and truncations go to the real file at once, so the running store sees them, and are kept in a
list of pending changes; an `xSync` that succeeds makes them durable, in a copy of the file's
durable bytes. At the cut, every write, truncate and sync fails from then on; `restore()` then puts
back each file's durable bytes (and, in `partial` mode, a random subset of its pending writes,
as a disk that wrote some of its cache before losing power), like the disk after the power
comes back.

The store opens this VFS when STORE_EDGE_SQLITE_VFS names it (edge/store/connection.py).
"""

import ctypes
import os
import random
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

NAME = "powercut"
SQLITE_OK = 0
SQLITE_IOERR_WRITE = 10 | (3 << 8)
SQLITE_IOERR_FSYNC = 10 | (4 << 8)
SQLITE_IOERR_TRUNCATE = 10 | (6 << 8)
SQLITE_FULL = 13


def _libsqlite3() -> ctypes.CDLL:
    """The libsqlite3 the sqlite3 module loaded (dlopen of the same file returns the same library)."""
    import _sqlite3  # noqa: F401 - loads the shared library

    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libsqlite3" in line:
                return ctypes.CDLL(line.split()[-1])
    raise RuntimeError("the sqlite3 module is not linked to a shared libsqlite3: no VFS can be added to it")


_lib = _libsqlite3()
_int64 = ctypes.c_longlong
_p = ctypes.c_void_p

XOPEN = ctypes.CFUNCTYPE(ctypes.c_int, _p, _p, _p, ctypes.c_int, _p)
XDELETE = ctypes.CFUNCTYPE(ctypes.c_int, _p, _p, ctypes.c_int)
XWRITE = ctypes.CFUNCTYPE(ctypes.c_int, _p, _p, ctypes.c_int, _int64)
XTRUNCATE = ctypes.CFUNCTYPE(ctypes.c_int, _p, _int64)
XSYNC = ctypes.CFUNCTYPE(ctypes.c_int, _p, ctypes.c_int)


class Vfs(ctypes.Structure):
    _fields_ = [("iVersion", ctypes.c_int), ("szOsFile", ctypes.c_int), ("mxPathname", ctypes.c_int),
                ("pNext", _p), ("zName", ctypes.c_char_p), ("pAppData", _p), ("xOpen", _p), ("xDelete", _p),
                ("xAccess", _p), ("xFullPathname", _p), ("xDlOpen", _p), ("xDlError", _p), ("xDlSym", _p),
                ("xDlClose", _p), ("xRandomness", _p), ("xSleep", _p), ("xCurrentTime", _p),
                ("xGetLastError", _p), ("xCurrentTimeInt64", _p), ("xSetSystemCall", _p),
                ("xGetSystemCall", _p), ("xNextSystemCall", _p)]


class IoMethods(ctypes.Structure):
    _fields_ = [("iVersion", ctypes.c_int), ("xClose", _p), ("xRead", _p), ("xWrite", _p), ("xTruncate", _p),
                ("xSync", _p), ("xFileSize", _p), ("xLock", _p), ("xUnlock", _p), ("xCheckReservedLock", _p),
                ("xFileControl", _p), ("xSectorSize", _p), ("xDeviceCharacteristics", _p), ("xShmMap", _p),
                ("xShmLock", _p), ("xShmBarrier", _p), ("xShmUnmap", _p), ("xFetch", _p), ("xUnfetch", _p)]


class File(ctypes.Structure):
    _fields_ = [("pMethods", ctypes.POINTER(IoMethods))]


_lib.sqlite3_vfs_find.restype = ctypes.POINTER(Vfs)
_lib.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
_lib.sqlite3_vfs_register.argtypes = [ctypes.POINTER(Vfs), ctypes.c_int]


@dataclass
class Tracked:
    """One file's durable bytes (None: not on the disk) and the changes made since its last sync."""

    durable: bytearray | None
    pending: list[tuple[str, int, bytes]] = field(default_factory=list)

    def apply(self, changes: list[tuple[str, int, bytes]]) -> None:
        data = self.durable if self.durable is not None else bytearray()
        for kind, offset, chunk in changes:
            if kind == "w":
                if len(data) < offset:
                    data.extend(b"\0" * (offset - len(data)))
                data[offset:offset + len(chunk)] = chunk
            else:
                del data[offset:]
        self.durable = data


class PowerCut:
    """The state of the simulated disk; one instance, registered once per process (`install()`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.files: dict[str, Tracked] = {}
        self._by_handle: dict[int, str] = {}  # an open sqlite3_file's address -> its path
        self._handle_real: dict[int, int] = {}  # ... -> the address of the real VFS's methods for it
        self.gone = threading.Event()  # set when the power goes: a test waits on it
        self._countdown: int | None = None
        self.lying = False  # a disk whose fsync keeps nothing: the oracle must then find losses
        self.failing: int | None = None  # while set, every write, truncate and sync fails with this code
        self.operations = 0
        self.syncs = 0
        real = _lib.sqlite3_vfs_find(None)
        if not real:
            raise RuntimeError("no default SQLite VFS")
        self._real = real
        self._real_open = XOPEN(real.contents.xOpen)
        self._real_delete = XDELETE(real.contents.xDelete)
        self._methods: dict[int, tuple[IoMethods, XWRITE, XTRUNCATE, XSYNC]] = {}
        # the callbacks must outlive every connection: keep references on the instance
        self._cb_open = XOPEN(self._open)
        self._cb_delete = XDELETE(self._delete)
        self._cb_write = XWRITE(self._write)
        self._cb_truncate = XTRUNCATE(self._truncate)
        self._cb_sync = XSYNC(self._sync)
        vfs = Vfs.from_buffer_copy(real.contents)
        vfs.zName = NAME.encode()
        vfs.pNext = None
        vfs.xOpen = ctypes.cast(self._cb_open, _p)
        vfs.xDelete = ctypes.cast(self._cb_delete, _p)
        self._vfs = vfs
        if _lib.sqlite3_vfs_register(ctypes.byref(self._vfs), 0) != SQLITE_OK:
            raise RuntimeError("sqlite3_vfs_register failed")

    # --- the test's controls -----------------------------------------------------------------------

    def arm(self, after_operations: int) -> None:
        """Cut the power at the `after_operations`-th write, truncate or sync from now."""
        with self._lock:
            self._countdown = max(1, after_operations)

    def fail_writes(self, code: int = SQLITE_IOERR_WRITE) -> None:
        """From now on every write fails as on a file system gone read-only (EROFS: SQLite's
        SQLITE_IOERR_WRITE) or full (SQLITE_FULL), until `heal()`. Nothing is lost: it is no power cut."""
        self.failing = code

    def heal(self) -> None:
        self.failing = None

    def cut(self) -> None:
        self.gone.set()

    @property
    def is_cut(self) -> bool:
        return self.gone.is_set()

    def restore(self, rng: random.Random | None = None) -> dict[str, int]:
        """After every connection is closed: the files as the disk holds them when power returns.

        With `rng`, a random subset of each file's unsynced writes survives too (in order), as a
        disk's write cache may have flushed some. Returns how many unsynced changes were lost."""
        lost = {}
        with self._lock:
            for path, tracked in self.files.items():
                survivors = [c for c in tracked.pending if rng is not None and rng.random() < 0.5]
                lost[path] = len(tracked.pending) - len(survivors)
                if survivors:
                    tracked.apply(survivors)
                if tracked.durable is None:
                    Path(path).unlink(missing_ok=True)
                else:
                    Path(path).write_bytes(bytes(tracked.durable))
            self.files.clear()
            self._by_handle.clear()
            self.gone.clear()
            self._countdown = None
        return lost

    def forget(self) -> None:
        """Stop tracking (the files on disk are taken as durable the next time they are opened)."""
        with self._lock:
            self.files.clear()
            self._by_handle.clear()
            self.gone.clear()
            self._countdown = None

    # --- the VFS -----------------------------------------------------------------------------------

    def _tick(self) -> bool:
        """Count one change; True when the power is (now) off or writes fail."""
        if self.failing is not None:
            return True
        with self._lock:
            self.operations += 1
            if self._countdown is not None:
                self._countdown -= 1
                if self._countdown <= 0:
                    self.gone.set()
                    self._countdown = None
            return self.gone.is_set()

    def _open(self, vfs, name, file, flags, out_flags) -> int:  # noqa: ANN001 - C pointers
        try:
            rc = self._real_open(ctypes.cast(self._real, _p), name, file, flags, out_flags)
            if rc != SQLITE_OK or not name:
                return rc
            path = os.path.realpath(ctypes.string_at(name).decode())
            handle = File.from_address(file)
            if not handle.pMethods:
                return rc
            real_methods = ctypes.addressof(handle.pMethods.contents)
            with self._lock:
                if path not in self.files:
                    on_disk = Path(path).read_bytes() if Path(path).exists() else None
                    self.files[path] = Tracked(bytearray(on_disk) if on_disk is not None else None)
                self._by_handle[file] = path
                if real_methods not in self._methods:
                    ours = IoMethods.from_buffer_copy(handle.pMethods.contents)
                    self._methods[real_methods] = (ours, XWRITE(handle.pMethods.contents.xWrite),
                                                   XTRUNCATE(handle.pMethods.contents.xTruncate),
                                                   XSYNC(handle.pMethods.contents.xSync))
                    ours.xWrite = ctypes.cast(self._cb_write, _p)
                    ours.xTruncate = ctypes.cast(self._cb_truncate, _p)
                    ours.xSync = ctypes.cast(self._cb_sync, _p)
                ours = self._methods[real_methods][0]
                self._handle_real[file] = real_methods
            handle.pMethods = ctypes.pointer(ours)
            return rc
        except Exception:  # a Python error must not reach SQLite as SQLITE_OK
            return 1

    def _delete(self, vfs, name, sync_dir) -> int:  # noqa: ANN001
        try:
            if self.gone.is_set():
                return SQLITE_IOERR_WRITE
            path = os.path.realpath(ctypes.string_at(name).decode())
            rc = self._real_delete(ctypes.cast(self._real, _p), name, sync_dir)
            with self._lock:
                if path in self.files:  # a delete reaches the directory at once (a journalled filesystem)
                    self.files[path] = Tracked(None)
            return rc
        except Exception:
            return SQLITE_IOERR_WRITE

    def _real_methods(self, file: int) -> tuple[IoMethods, XWRITE, XTRUNCATE, XSYNC]:
        return self._methods[self._handle_real[file]]

    def _write(self, file, buf, amount, offset) -> int:  # noqa: ANN001
        try:
            if self._tick():
                return self.failing or SQLITE_IOERR_WRITE
            chunk = ctypes.string_at(buf, amount)
            rc = self._real_methods(file)[1](file, buf, amount, offset)
            if rc == SQLITE_OK:
                with self._lock:
                    path = self._by_handle.get(file)
                    if path is not None:
                        self.files[path].pending.append(("w", offset, chunk))
            return rc
        except Exception:
            return SQLITE_IOERR_WRITE

    def _truncate(self, file, size) -> int:  # noqa: ANN001
        try:
            if self._tick():
                return self.failing or SQLITE_IOERR_TRUNCATE
            rc = self._real_methods(file)[2](file, size)
            if rc == SQLITE_OK:
                with self._lock:
                    path = self._by_handle.get(file)
                    if path is not None:
                        self.files[path].pending.append(("t", size, b""))
            return rc
        except Exception:
            return SQLITE_IOERR_TRUNCATE

    def _sync(self, file, flags) -> int:  # noqa: ANN001
        try:
            if self._tick():
                return self.failing or SQLITE_IOERR_FSYNC
            rc = self._real_methods(file)[3](file, flags)
            if rc == SQLITE_OK and not self.lying:
                with self._lock:
                    self.syncs += 1
                    path = self._by_handle.get(file)
                    if path is not None:
                        tracked = self.files[path]
                        tracked.apply(tracked.pending)
                        tracked.pending = []
            return rc
        except Exception:
            return SQLITE_IOERR_FSYNC


_installed: PowerCut | None = None


def install() -> PowerCut:
    """The process's PowerCut VFS, registered on first use."""
    global _installed
    if _installed is None:
        _installed = PowerCut()
    return _installed


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
