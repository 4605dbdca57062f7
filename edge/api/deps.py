"""Dependencies handed to handlers (provided in create_app)."""

from litestar.di import NamedDependency

from ..services.runtime import StoreRuntime

StoreDep = NamedDependency[StoreRuntime]
