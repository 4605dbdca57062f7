"""Dependencies handed to handlers."""



from litestar.datastructures import State
from litestar.di import NamedDependency

from ..services.runtime import Store

StoreDep = NamedDependency[Store]


def provide_store(state: State) -> Store:
    return state.store



