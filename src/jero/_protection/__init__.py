"""Traffic protection: a shared store, rate limits, trusted proxies and hosts, security
headers, server-side sessions and CSRF protection. Each request-time piece is a jero
middleware compiled per route at wiring; a route wired without one pays nothing."""

from .csrf import CSRF, CSRFRefusedError
from .headers import HSTS, SecurityHeaders
from .hosts import TrustedHosts, UntrustedHostError
from .limits import RateLimit, RateLimitedError
from .proxies import TrustedProxies
from .redis_store import RedisStore
from .session_source import Session
from .sessions import InvalidSessionError, Sessions
from .store import Admission, MemoryStore, Store

__all__ = [
    "CSRF",
    "HSTS",
    "Admission",
    "CSRFRefusedError",
    "InvalidSessionError",
    "MemoryStore",
    "RateLimit",
    "RateLimitedError",
    "RedisStore",
    "SecurityHeaders",
    "Session",
    "Sessions",
    "Store",
    "TrustedHosts",
    "TrustedProxies",
    "UntrustedHostError",
]
