"""`RedisStore`: the shared `Store` on Redis or Valkey (redis-py's asyncio client).

Every operation is one round trip, and the two that read then write (`increment` with
its expiry, the rate limiter's `admit`) are Lua scripts, so they are atomic on the
server whatever number of workers call them at once. The limiter reads the server's
own clock (`TIME`) inside the script: workers on machines whose clocks disagree still
share one exact quota. redis-py is an optional extra (`jero[redis]`), imported only
when a `RedisStore` is built.
"""

from __future__ import annotations

import math
from typing import Any, Self

from .store import Admission

__all__ = ["RedisStore"]

# KEYS[1]: the counter. ARGV: amount, ttl in ms (0: none). The expiry is set only by the
# call that creates the key, as MemoryStore does.
_INCREMENT = """
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], 0, 'NX', 'PX', ARGV[2])
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""

# KEYS[1]: the client's theoretical arrival time (µs since the epoch, the server's clock).
# ARGV: limit, period in µs, cost. Returns {allowed, remaining, reset µs, retry-after µs}.
_ADMIT = """
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - period
if allow_at > now then
  return {0, 0, string.format('%.0f', tat - now), string.format('%.0f', allow_at - now)}
end
local ttl = math.max(math.ceil((new_tat - now) / 1000), 1)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
local remaining = math.floor((period - (new_tat - now)) / interval)
return {1, remaining, string.format('%.0f', new_tat - now), '0'}
"""


class RedisStore:
    """A `Store` on Redis or Valkey, shared by every worker that points at it.

    Build it from a URL (`RedisStore.from_url("redis://host:6379/0")`: the store owns
    that client and closes it, so enter it on the app's lifecycle with
    `await self._aenter(...)`), or around a `redis.asyncio.Redis` client you already
    manage. Every key is written under `prefix`.
    """

    def __init__(self, client: Any, *, prefix: str = "jero:", owns_client: bool = False) -> None:
        self.client = client
        self.prefix = prefix
        self._owns_client = owns_client
        self._increment = client.register_script(_INCREMENT)
        self._admit = client.register_script(_ADMIT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "jero:",
        max_connections: int = 64,
        timeout: float | None = 5.0,
        **options: Any,
    ) -> Self:
        """A store with a client of its own. Its pool holds up to `max_connections`
        connections; a request that finds them all busy waits up to `timeout` seconds
        for one (rather than failing at once, as an unbounded burst would). `options`
        go to redis-py's connection pool (`socket_timeout`, `ssl_*`, ...)."""
        try:
            from redis import asyncio as redis_asyncio
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ImportError(
                "RedisStore needs redis-py: install jero[redis] (or `uv add redis`)"
            ) from error
        pool_type: Any = redis_asyncio.BlockingConnectionPool
        pool: Any = pool_type.from_url(
            url, max_connections=max_connections, timeout=timeout, **options
        )
        client: Any = redis_asyncio.Redis(connection_pool=pool)
        return cls(client, prefix=prefix, owns_client=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if the store built it (`from_url`)."""
        if self._owns_client:
            await self.client.aclose()
            await self.client.connection_pool.disconnect()

    async def get(self, key: str) -> bytes | None:
        value: Any = await self.client.get(self.prefix + key)
        return None if value is None else bytes(value)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        px = None if ttl is None else max(math.ceil(ttl * 1000), 1)
        await self.client.set(self.prefix + key, value, px=px)

    async def delete(self, key: str) -> None:
        await self.client.delete(self.prefix + key)

    async def increment(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        px = 0 if ttl is None else max(math.ceil(ttl * 1000), 1)
        result: Any = await self._increment(keys=[self.prefix + key], args=[amount, px])
        return int(result)

    async def admit(self, key: str, limit: int, period: float, cost: int = 1) -> Admission:
        period_us = round(period * 1_000_000)
        reply: Any = await self._admit(keys=[self.prefix + key], args=[limit, period_us, cost])
        allowed, remaining, reset, retry = reply
        return Admission(
            allowed=int(allowed) == 1,
            remaining=int(remaining),
            reset=int(reset) / 1_000_000,
            retry_after=int(retry) / 1_000_000,
        )
