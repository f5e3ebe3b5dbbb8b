"""`Subscription[T]`: one subscriber's bounded buffer of decoded items.

The hub appends to every subscriber of a topic without ever waiting, so one subscriber
that reads slowly cannot hold back the others, nor the broker connection that feeds
them. When the buffer is full the subscription's overflow policy decides:

- `"drop_oldest"` (the default): the oldest buffered item is discarded and counted in
  `dropped`, so a slow reader sees the newest items and knows how many it missed;
- `"close"`: the subscription ends and iterating it raises `SubscriberOverflowError`
  (for a reader that must see every item or none).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Literal, Self

import anyio

from .errors import SubscriberOverflowError

__all__ = ["Overflow", "Subscription"]

type Overflow = Literal["drop_oldest", "close"]


class Subscription[T]:
    """Items of one channel topic as they arrive, decoded: `async for item in sub`.

    Made by `Channel.subscribe(key)`; use it as `async with channel.subscribe(key) as
    sub:`, which subscribes (and, on a broker, waits for the broker to confirm) on entry
    and unsubscribes on exit. `dropped` counts items lost to the overflow policy.
    """

    __slots__ = (
        "_closed",
        "_enter",
        "_error",
        "_exit",
        "_items",
        "_left",
        "_waiter",
        "buffer",
        "dropped",
        "key",
        "overflow",
        "received",
    )

    def __init__(
        self,
        key: str,
        buffer: int,
        overflow: Overflow,
        enter: Callable[[Subscription[T]], Awaitable[None]],
        exit: Callable[[Subscription[T]], Awaitable[None]],
    ) -> None:
        self.key = key
        self.buffer = buffer
        self.overflow: Overflow = overflow
        self.dropped = 0
        """Items discarded because the buffer was full (`drop_oldest`)."""
        self.received = 0
        """Items handed to this subscription (read or still buffered or dropped)."""
        self._items: deque[tuple[str | None, T]] = deque()
        self._waiter: anyio.Event | None = None
        self._closed = False
        self._left = False
        self._error: BaseException | None = None
        self._enter = enter
        self._exit = exit

    # --- the subscriber's side -------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._enter(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Unsubscribe (once); iteration then ends after the buffered items."""
        self.close()
        if not self._left:
            self._left = True
            with anyio.CancelScope(shield=True):
                await self._exit(self)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        return (await self.next_event())[1]

    async def next_event(self) -> tuple[str | None, T]:
        """The next item with its event id (the broker's history id, or None when the
        backend keeps no history); `StopAsyncIteration` once closed and drained."""
        while not self._items:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            waiter = self._waiter = anyio.Event()
            await waiter.wait()
        return self._items.popleft()

    @property
    def closed(self) -> bool:
        return self._closed

    # --- the hub's side ----------------------------------------------------------------

    def put(self, event_id: str | None, item: T) -> None:
        """Buffer one item; never waits (see the module docstring for a full buffer)."""
        if self._closed:
            return
        self.received += 1
        items = self._items
        if len(items) >= self.buffer:
            if self.overflow == "close":
                self.fail(
                    SubscriberOverflowError(
                        f"subscriber of {self.key!r} fell more than {self.buffer} items behind"
                    )
                )
                return
            items.popleft()
            self.dropped += 1
        items.append((event_id, item))
        self._wake()

    def fail(self, error: BaseException) -> None:
        """End the subscription at once: buffered items are discarded, `error` raised."""
        self._items.clear()
        self._error = error
        self.close()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None
