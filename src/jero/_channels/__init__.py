"""Channels: typed publish/subscribe across sockets, streams, handlers and processes.

One hub per process (`Channels`), channels declared on it by name and item type
(`Channel[T]`), subscribers with bounded buffers (`Subscription[T]`), and a backend
that carries encoded items between processes: `InProcessBackend` (the default),
`RedisBackend` (redis-py) and `PostgresBackend` (asyncpg), the last two import their client
library only when constructed, from the `jero[redis]` / `jero[postgres]` extras.
"""

from .backend import Backend, backend_from_url
from .channel import Channel
from .errors import ChannelUnavailableError, SubscriberOverflowError
from .feed import Feed
from .hub import Channels
from .memory import InProcessBackend
from .postgres import PostgresBackend
from .redis import RedisBackend
from .subscription import Overflow, Subscription

__all__ = [
    "Backend",
    "Channel",
    "ChannelUnavailableError",
    "Channels",
    "Feed",
    "InProcessBackend",
    "Overflow",
    "PostgresBackend",
    "RedisBackend",
    "SubscriberOverflowError",
    "Subscription",
    "backend_from_url",
]
