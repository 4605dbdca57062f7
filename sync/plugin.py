"""Sync with HQ, plugged into the edge: its routes, its migrations, its loop beside the app, its commands."""

from edge.plugins import EdgePlugin

from .background import sync_loop
from .edge_api import SyncController
from .edge_cli import add_commands
from .migrations import SYNC_MIGRATIONS
from .restore_epoch import start_epoch_after_restore

plugin = EdgePlugin(name="sync", route_handlers=[SyncController], migrations=SYNC_MIGRATIONS, loops=[sync_loop],
                    add_commands=add_commands, restore_hooks=[start_epoch_after_restore])
