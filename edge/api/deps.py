"""Dependencies handed to handlers."""

from litestar.datastructures import State

from ..services.runtime import Store


def provide_store(state: State) -> Store:
    return state.store
