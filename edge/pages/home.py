"""`GET /`: where a newcomer who types the store's address lands: links to the pages and the API."""

from litestar import Response, get

from .. import __version__
from ..api.deps import StoreDep
from .web import page


@get("/", sync_to_thread=False, include_in_schema=False)
def home(store: StoreDep) -> Response[str]:
    """The store's front page for staff and integrators; it shows no member data."""
    return page("home.html", store_name=store.config.name, store_id=store.config.store_id, version=__version__)
