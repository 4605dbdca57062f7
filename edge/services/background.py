"""Tasks that run beside the app (sync, upkeep): started with it, cancelled cleanly with it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .runtime import StoreRuntime

log = logging.getLogger("store_edge.background")


def beside_app(name: str, loop: Callable[[StoreRuntime], Awaitable[Any]]) -> tuple[Callable, Callable]:
    """(on_startup, on_shutdown) hooks running `loop(store)` as a task kept in app.state[name]."""

    async def start(app) -> None:  # noqa: ANN001 - litestar.Litestar
        app.state[name] = asyncio.get_running_loop().create_task(loop(app.state.store))

    async def stop(app) -> None:  # noqa: ANN001
        task = app.state.get(name)
        while task is not None and not task.done():
            # cancelled again until it ends: a loop that swallowed one cancel must not hang the shutdown
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("%s ended with %r", name, task.exception())

    return start, stop
