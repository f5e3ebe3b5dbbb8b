"""`Store`: the small shared key-value contract that rate limits and sessions stand on.

Everything protection keeps between requests (a client's rate-limit state, a session's
data) lives in a `Store`, so the same app runs on one process with `MemoryStore` and on
many workers and machines with `RedisStore`, without a line changed. The contract is
kept small on purpose: what each operation promises is what both stores can keep
atomically: `increment` and `admit` are single atomic steps (one Lua script on Redis),
never a read then a write that two workers could interleave.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Protocol, runtime_checkable

__all__ = ["Admission", "MemoryStore", "Store"]


@dataclasses.dataclass(frozen=True, slots=True)
class Admission:
    """The answer of `Store.admit`: let the request in or not, and what the client may
    be told about its quota."""

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


def gcra(
    tat: float | None, now: float, limit: int, period: float, cost: int
) -> tuple[Admission, float | None]:
    """One GCRA step: the admission and the new theoretical arrival time to store (None
    when refused: nothing changes). A full quota of `limit` may be spent at once; after
    that one unit comes back every `period / limit` seconds."""
    interval = period / limit
    start = now if tat is None or tat < now else tat
    new_tat = start + interval * cost
    allow_at = new_tat - period
    if allow_at > now + 1e-9:
        wait = allow_at - now
        return Admission(False, 0, max(start - now, 0.0), wait), None
    remaining = math.floor((period - (new_tat - now)) / interval + 1e-9)
    return Admission(True, max(remaining, 0), new_tat - now, 0.0), new_tat


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
        data = self._data
        for key in [k for k, (_, expires) in data.items() if expires <= now]:
            del data[key]
        while len(data) >= self.max_entries:
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
        now = time.monotonic()
        value = self._live(key, now)
        tat = value if isinstance(value, float) else None
        admission, new_tat = gcra(tat, now, limit, period, cost)
        if new_tat is not None:
            self._put(key, new_tat, new_tat)
        return admission


def _expiry(ttl: float | None) -> float:
    return math.inf if ttl is None else time.monotonic() + ttl
