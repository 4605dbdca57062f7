"""HTML pages the edge serves: the public join and member pages, and the till, display and manager pages."""

from .home import home
from .join_pages import JoinPages
from .member_pages import MemberPages
from .policy_pages import PolicyPages
from .ratelimit import RateLimits
from .staff_pages import StaffPages

PAGES = [JoinPages, MemberPages, PolicyPages, StaffPages, home]

__all__ = ["PAGES", "RateLimits"]
