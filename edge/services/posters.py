"""Standee posters for download: the standee's QR and short URL on the store's poster."""

from printers.posters import poster_bytes

from . import join
from .runtime import StoreRuntime


def standee_poster(store: StoreRuntime, standee_id: str, size: str, fmt: str) -> bytes:
    s = join.get_standee(store, standee_id)
    out = join.standee_out(store, s)
    short = out.short_url.split("://", 1)[-1]  # no scheme: shorter to type, browsers add it
    return poster_bytes(size, fmt, store_name=store.config.name, url=out.url, short_url=short,  # type: ignore[arg-type]
                        label=" · ".join(x for x in (s.label, s.location) if x))
