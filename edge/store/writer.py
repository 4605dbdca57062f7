"""The one writer: a thread that owns the write connection and groups concurrent commands per commit.

Every command runs inside one `BEGIN IMMEDIATE` transaction, each in its own SAVEPOINT so a
command that fails rolls back alone while the others of its group still commit. The group's
single COMMIT (synchronous=FULL: one fsync) is what makes 8 lanes fast without weakening
durability. A caller is answered only after the COMMIT returned, so a 2xx is on disk.
"""

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from .connection import connect

log = logging.getLogger(__name__)
T = TypeVar("T")
Command = Callable[[sqlite3.Connection], Any]

_STOP = object()
# The command running on a writer thread: its after-commit callbacks, and the writer itself. Each
# writer has its own thread, so two stores in one process never see each other's.
_pending = threading.local()


def after_commit(callback: Callable[[], None]) -> None:
    """From inside a command: run `callback` once the group holding this command has committed.

    Dropped if the command fails or the commit does. Outside the writer (a plain transaction in a
    script) it runs at once: the caller commits on its own.
    """
    callbacks = getattr(_pending, "callbacks", None)
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)


def mark_changed() -> None:
    """From inside a command: once its group commits, count one more change on this writer (caches
    built from the database, like the runtime's reference data, compare against `Writer.changes`).

    Outside a writer (a script's own transaction) nothing is counted: no cache of this process
    reads that connection, and other processes notice by the database's own version mark.
    """
    writer = getattr(_pending, "writer", None)
    if writer is not None:
        after_commit(writer._count_change)


class WriterStopped(RuntimeError):
    """The writer was stopped; no more commands are taken."""


class Writer:
    """Runs write commands on one thread, grouping those that arrive together into one commit."""

    def __init__(self, path: Path | str, max_group: int = 64) -> None:
        self._path = path
        self._max_group = max_group
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.groups = 0  # commits made, for the bench to report the grouping
        self.commands = 0
        self.last_commit_failed = False
        self.changes = 0  # committed commands that called mark_changed()

    def start(self) -> "Writer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None and not self._stopped:
            self._stopped = True
            self._queue.put(_STOP)
            self._thread.join()

    @property
    def queued(self) -> int:
        """Commands waiting for the writer (approximate while lanes submit)."""
        return self._queue.qsize()

    def healthy(self) -> bool:
        """True while the writer thread runs and its last commit went through."""
        alive = self._thread is not None and self._thread.is_alive() and not self._stopped
        return alive and not self.last_commit_failed

    async def run(self, command: Callable[[sqlite3.Connection], T]) -> T:
        """Run `command` in the next group and return its result once committed."""
        if self._stopped:
            raise WriterStopped("the writer is stopped")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((command, loop, fut))
        return await fut

    def call(self, command: Callable[[sqlite3.Connection], T]) -> T:
        """Blocking form of `run`, for scripts, the CLI and tests outside an event loop."""
        if self._stopped:
            raise WriterStopped("the writer is stopped")
        fut: Future[T] = Future()
        self._queue.put((command, None, fut))
        return fut.result()

    def _count_change(self) -> None:
        self.changes += 1

    def _run(self) -> None:
        _pending.writer = self
        conn = connect(self._path)
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                group = [first]
                while len(group) < self._max_group:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        self._queue.put(_STOP)  # finish this group, then stop
                        break
                    group.append(item)
                self._commit_group(conn, group)
        finally:
            conn.close()

    def _commit_group(self, conn: sqlite3.Connection, group: list[Any]) -> None:
        try:
            # Fast path: commands nearly always succeed, so run the group without a SAVEPOINT per
            # command (two statements each). If any command fails, undo the whole group and replay
            # it with savepoints so the failure is undone alone. Commands are functions of the
            # database state, so a replay computes what the first run would have.
            outcomes, callbacks = self._run_group(conn, group, isolate=False)
            if not all(ok for ok, _ in outcomes):
                conn.execute("ROLLBACK")
                outcomes, callbacks = self._run_group(conn, group, isolate=True)
            conn.execute("COMMIT")
            self.last_commit_failed = False
            for callback in callbacks:
                try:
                    callback()
                except Exception:  # a cache hook must not fail the commands that committed
                    log.exception("after-commit callback failed")
        except BaseException as exc:  # the commit itself failed: nobody's change is kept
            log.error("write group of %d failed: %s", len(group), exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(group)
            self.last_commit_failed = True
        self.groups += 1
        self.commands += len(group)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, bool, Any]]] = {}
        for (_, loop, fut), (ok, value) in zip(group, outcomes, strict=True):
            if loop is None:
                fut.set_result(value) if ok else fut.set_exception(value)
            else:
                by_loop.setdefault(loop, []).append((fut, ok, value))
        for loop, settled in by_loop.items():  # one wake-up per loop, not per command
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the loop closed while we wrote; nobody is waiting
                pass

    @staticmethod
    def _run_group(conn: sqlite3.Connection, group: list[Any],
                   isolate: bool) -> tuple[list[tuple[bool, Any]], list[Callable[[], None]]]:
        """Run each command in one open transaction; with `isolate`, each in its own SAVEPOINT.

        Without `isolate` it stops at the first failure (the caller replays the group isolated).
        """
        outcomes: list[tuple[bool, Any]] = []
        callbacks: list[Callable[[], None]] = []
        conn.execute("BEGIN IMMEDIATE")
        for command, _, _ in group:
            if isolate:
                conn.execute("SAVEPOINT cmd")
            _pending.callbacks = []
            try:
                result = command(conn)
            except BaseException as exc:  # the command's own failure
                outcomes.append((False, exc))
                if not isolate:
                    return outcomes, []
                conn.execute("ROLLBACK TO cmd")
                conn.execute("RELEASE cmd")
            else:
                if isolate:
                    conn.execute("RELEASE cmd")
                outcomes.append((True, result))
                callbacks.extend(_pending.callbacks)
            finally:
                _pending.callbacks = None
        return outcomes, callbacks


def _settle(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for fut, ok, value in settled:
        if fut.cancelled():
            continue
        fut.set_result(value) if ok else fut.set_exception(value)
