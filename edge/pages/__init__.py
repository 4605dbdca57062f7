"""HTML pages the edge serves: the public join and member pages, and the till, display and manager pages."""

from .join_pages import JoinPages
from .member_pages import MemberPages
from .ratelimit import RateLimits

PAGES = [JoinPages, MemberPages]

__all__ = ["PAGES", "RateLimits"]
