"""A loop beside the app stops with the app, even one that swallowed a cancel."""

import asyncio
from types import SimpleNamespace

from edge.services.background import beside_app


def app_state() -> SimpleNamespace:
    return SimpleNamespace(state=_State(store=None))


class _State(dict):
    def __getattr__(self, name: str):  # noqa: ANN204 - litestar's State reads keys as attributes
        return self[name]


def test_a_loop_that_swallows_the_first_cancel_still_stops():
    swallowed = []
    waiting = asyncio.Event()

    async def stubborn(_store) -> None:  # noqa: ANN001
        while True:
            try:
                waiting.set()
                await asyncio.Event().wait()  # a loop waiting on something that never comes
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)  # as 3.11's wait_for does when its inner wait finishes at the cancel

    start, stop = beside_app("stubborn", stubborn)

    async def scenario() -> bool:
        app = app_state()
        await start(app)
        await waiting.wait()  # the loop is inside its wait: the stop's cancel lands there
        await asyncio.wait_for(stop(app), 5)
        return app.state["stubborn"].cancelled()

    assert asyncio.run(scenario()) and swallowed == [True]


def test_a_loop_that_failed_is_logged_at_stop_not_raised(caplog):
    async def broken(_store) -> None:  # noqa: ANN001
        raise RuntimeError("boom")

    start, stop = beside_app("broken", broken)

    async def scenario() -> None:
        app = app_state()
        await start(app)
        await asyncio.wait({app.state["broken"]})  # it failed on its own, before the app stops
        await stop(app)

    asyncio.run(scenario())
    assert "broken ended with RuntimeError('boom')" in caplog.text
