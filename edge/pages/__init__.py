"""HTML pages the edge serves: the public join and member pages, and the till, display and manager pages."""

from .home import home
from .join_pages import JoinPages
from .member_pages import MemberPages
from .ratelimit import RateLimits
from .staff_pages import StaffPages

PAGES = [JoinPages, MemberPages, StaffPages, home]

__all__ = ["PAGES", "RateLimits"]
