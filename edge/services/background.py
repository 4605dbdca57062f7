"""Tasks that run beside the app (sync, upkeep): started with it, cancelled cleanly with it."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .runtime import StoreRuntime


def beside_app(name: str, loop: Callable[[StoreRuntime], Awaitable[Any]]) -> tuple[Callable, Callable]:
    """(on_startup, on_shutdown) hooks running `loop(store)` as a task kept in app.state[name]."""

    async def start(app) -> None:  # noqa: ANN001 - litestar.Litestar
        app.state[name] = asyncio.get_running_loop().create_task(loop(app.state.store))

    async def stop(app) -> None:  # noqa: ANN001
        task = app.state.get(name)
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    return start, stop
