"""The contract between the channel hub and a broker.

A backend moves opaque, already-encoded items between processes; it knows nothing of
types. Topics are strings (a channel's name, or its name and a key). Every process runs
one hub with one backend instance:

    start(deliver)       connect; from now on call deliver(topic, event_id, data) for
                         every item published (by any process) on a topic this process
                         subscribes to, including its own publishes
    subscribe(topic)     the first local subscriber of `topic` appeared; returns once
                         items published from now on will be delivered (when connected)
    unsubscribe(topic)   the last local subscriber of `topic` left
    publish(topic, data) send one item to every process subscribed to `topic`; raises
                         `ChannelUnavailableError` when the broker cannot take it
    replay(topic, after) items retained after event id `after` (history), oldest first
    stop()               disconnect

Backends reconnect by themselves: when the broker goes away, `publish` raises, the
listener retries with a growing delay, and on reconnection every topic that still has
local subscribers is subscribed again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import anyio

__all__ = ["Backend", "Deliver", "Retained"]

type Deliver = Callable[[str, str | None, bytes], None]
"""`deliver(topic, event_id, data)`: called by the backend's listener, never waits."""

type Retained = Sequence[tuple[str, bytes]]
"""`(event_id, data)` pairs, oldest first."""


class Backend(Protocol):
    """A broker connection shared by every channel of one hub (see the module doc)."""

    @property
    def keeps_history(self) -> bool:
        """Whether published items get event ids and `replay` returns them."""
        ...

    @property
    def connected(self) -> bool:
        """Whether items published elsewhere reach this process right now."""
        ...

    async def start(self, deliver: Deliver) -> None: ...

    async def stop(self) -> None: ...

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def publish(self, topic: str, data: bytes) -> str | None:
        """Publish; returns the item's event id when the backend keeps history."""
        ...

    async def replay(self, topic: str, after: str) -> Retained: ...


def later_id(event_id: str, than: str) -> bool:
    """Whether history id `event_id` comes after `than`. Ids are `<int>` or Redis Stream
    style `<ms>-<seq>`; an id that does not parse is never later (it is ignored)."""
    return _id_key(event_id) > _id_key(than)


def _id_key(event_id: str) -> tuple[int, int]:
    head, _, tail = event_id.partition("-")
    try:
        return int(head), int(tail or 0)
    except ValueError:
        return (-1, -1)


def backend_from_url(url: str | None, *, history: int = 0) -> Backend:
    """The backend a URL names, so one setting picks it per deployment:
    `redis://` or `rediss://` or `valkey://` → `RedisBackend`, `postgres://` or
    `postgresql://` → `PostgresBackend`, None, `""` or `memory://` → `InProcessBackend`.
    `history` is passed to the backends that keep one (PostgreSQL keeps none)."""
    from .memory import InProcessBackend

    scheme = (url or "").partition("://")[0].lower()
    if scheme in ("", "memory"):
        return InProcessBackend(history=history)
    if scheme in ("redis", "rediss", "valkey", "valkeys"):
        from .redis import RedisBackend

        assert url is not None
        return RedisBackend(url.replace("valkey", "redis", 1), history=history)
    if scheme in ("postgres", "postgresql"):
        from .postgres import PostgresBackend

        assert url is not None
        return PostgresBackend(url)
    raise ValueError(f"backend_from_url: no channels backend for {url!r}")


def check_key(key: str) -> str:
    if not isinstance(key, str) or "\n" in key or "\0" in key:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"a channel key is a str without line breaks or NUL, got {key!r}")
    return key


async def first_connection(
    connected: asyncio.Event,
    timeout: float,
    stop: Callable[[], Awaitable[None]],
    failure: str,
) -> None:
    """Wait for a backend's listener to connect the first time; past `timeout`, stop the
    backend and raise `ConnectionError(failure)`: an app that cannot reach its broker at
    startup refuses to start, with the reason."""
    try:
        with anyio.fail_after(timeout):
            await connected.wait()
    except TimeoutError:
        await stop()
        raise ConnectionError(failure) from None


async def cancel_listener(listener: asyncio.Task[None] | None) -> None:
    """Cancel a backend's listener task and wait until it has ended."""
    if listener is not None:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
