"""The one extension point: what a plugin (sync with HQ) adds to a store, and where it is found.

A plugin is an `EdgePlugin`: its HTTP routes, its migration sequence (applied after the edge's),
loops that run beside the app, its `store-edge` commands, and what a restore must do to its state.
`create_app`, the store runtime and the CLI take the plugins they are given, or, by default, the
installed ones: the `store_edge.plugins` entry points (pyproject.toml), so the edge core names no
plugin and imports none.
"""

import argparse
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from .store.migrations import MigrationSequence

if TYPE_CHECKING:
    from .services.runtime import StoreRuntime

ENTRY_POINTS = "store_edge.plugins"
AddCommands = Callable[[argparse._SubParsersAction, Callable[[argparse.ArgumentParser], None]], None]


@dataclass(frozen=True)
class EdgePlugin:
    name: str
    route_handlers: Sequence[Any] = ()  # Litestar controllers and handlers, mounted beside the edge's
    migrations: MigrationSequence | None = None
    loops: Sequence[Callable[["StoreRuntime"], Awaitable[Any]]] = ()  # run beside the app, cancelled with it
    add_commands: AddCommands | None = None  # registers `store-edge <name> ...` (given the --data-dir adder)
    # run on a restored copy in the restore's transaction, before it takes the store's name
    restore_hooks: Sequence[Callable[[sqlite3.Connection, datetime], None]] = ()


@lru_cache(maxsize=1)
def installed() -> tuple[EdgePlugin, ...]:
    """The plugins installed with this package, by entry point, in name order."""
    found = []
    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        plugin = ep.load()
        if not isinstance(plugin, EdgePlugin):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not an EdgePlugin")
        found.append(plugin)
    return tuple(found)


def migration_sequences(plugins: Sequence[EdgePlugin]) -> list[MigrationSequence]:
    return [p.migrations for p in plugins if p.migrations is not None]


__all__ = ["ENTRY_POINTS", "EdgePlugin", "installed", "migration_sequences"]
