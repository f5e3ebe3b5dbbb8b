"""`Store`: the small shared key-value contract that rate limits and sessions stand on.

Everything protection keeps between requests (a client's rate-limit state, a session's
data) lives in a `Store`, so the same app runs on one process with `MemoryStore` and on
many workers and machines with `RedisStore`, without a line changed. The contract is
kept small on purpose: what each operation promises is what both stores can keep
atomically: `increment` and `admit` are single atomic steps (one Lua script on Redis),
never a read then a write that two workers could interleave.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = ["Admission", "MemoryStore", "Store"]


class Admission(NamedTuple):
    """The answer of `Store.admit`: let the request in or not, and what the client may
    be told about its quota. (A named tuple: one is made per limited request.)"""

    allowed: bool
    remaining: int
    """Requests the client may still make right now (0 when refused)."""
    reset: float
    """Seconds until the client's whole quota is available again."""
    retry_after: float
    """Seconds until one more request will be let in (0 when this one was)."""


@runtime_checkable
class Store(Protocol):
    """A shared key-value store with expiry. Keys are text, values bytes, TTLs seconds.

    `admit` is the rate limiter's one atomic step: the generic cell rate algorithm
    (GCRA) over the key's stored "theoretical arrival time". Keeping it in the store
    makes it atomic where the data lives (a Lua script on Redis) and lets every worker
    share one quota.
    """

    async def get(self, key: str) -> bytes | None:
        """The value, or None when the key is absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store `value`; it expires after `ttl` seconds (None: never)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the key (absent is fine)."""
        ...

    async def increment(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add `amount` atomically and return the new value; a key created by this call
        (absent or expired before) starts at 0 and expires after `ttl` seconds."""
        ...

    async def admit(self, key: str, limit: int, period: float, cost: int = 1) -> Admission:
        """Spend `cost` of a quota of `limit` per `period` seconds, atomically, or refuse."""
        ...


class MemoryStore:
    """The in-process store (the default): one worker's memory, nothing shared.

    It holds at most `max_entries` keys: past that, expired keys are dropped first,
    then the oldest written ones, so a flood of distinct keys costs bounded memory.
    Use `RedisStore` when more than one process serves the app.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("MemoryStore: max_entries must be at least 1")
        self.max_entries = max_entries
        self._data: dict[str, tuple[object, float]] = {}

    def _live(self, key: str, now: float) -> object | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._data[key]
            return None
        return entry[0]

    def _put(self, key: str, value: object, expires: float) -> None:
        data = self._data
        data.pop(key, None)
        if len(data) >= self.max_entries:
            self._evict(time.monotonic())
        data[key] = (value, expires)

    def _evict(self, now: float) -> None:
        """Make room: drop expired keys, then the oldest written, down to 90% of the
        bound, so a flood pays one scan per tenth of the bound, not one per key."""
        data = self._data
        for key in [k for k, (_, expires) in data.items() if expires <= now]:
            del data[key]
        keep = self.max_entries - max(self.max_entries // 10, 1)
        while len(data) > keep:
            del data[next(iter(data))]

    def __len__(self) -> int:
        return len(self._data)

    async def get(self, key: str) -> bytes | None:
        value = self._live(key, time.monotonic())
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self._put(key, bytes(value), _expiry(ttl))

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def increment(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        now = time.monotonic()
        value = self._live(key, now)
        if isinstance(value, int):
            count = value + amount
            self._data[key] = (count, self._data[key][1])
            return count
        self._put(key, amount, _expiry(ttl))
        return amount

    async def admit(self, key: str, limit: int, period: float, cost: int = 1) -> Admission:
        # GCRA over the key's theoretical arrival time (TAT): the quota is whole when the
        # TAT is now or past; each request moves it `period / limit * cost` later, and a
        # request that would move it more than `period` ahead of now is refused. Written
        # out in one function: it runs on every request of a limited route.
        now = time.monotonic()
        data = self._data
        entry = data.get(key)
        start = now
        if entry is not None:
            tat = entry[0]
            if entry[1] > now and isinstance(tat, float) and tat > now:
                start = tat
        interval = period / limit
        new_tat = start + interval * cost
        if new_tat - period > now + 1e-9:
            return Admission(False, 0, start - now, new_tat - period - now)
        if entry is not None:
            del data[key]
        elif len(data) >= self.max_entries:
            self._evict(now)
        data[key] = (new_tat, new_tat)
        remaining = math.floor((period - (new_tat - now)) / interval + 1e-9)
        return Admission(True, remaining if remaining > 0 else 0, new_tat - now, 0.0)


def _expiry(ttl: float | None) -> float:
    return math.inf if ttl is None else time.monotonic() + ttl
