"""`Feed[T]`: the subscribing side of a channel, for sockets and streams.

A WebSocket endpoint or an HTTP route that streams a channel holds a `Feed` (from
`channel.feed()`) as a constructor argument. That is its declaration: when the route is
included, every `Feed` it holds is checked against what the route sends — the
`WebSocket[Out]` of its hooks, or the item type of an `SSEResponse` / NDJSON stream its
handlers return — and a feed whose items the route could not send is a `WiringError`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
import msgspec

from .._streaming.responses import ServerSentEvent
from .._websockets.socket import WebSocket
from .backend import later_id
from .errors import SubscriberOverflowError
from .subscription import Overflow, Subscription

if TYPE_CHECKING:
    from .channel import Channel

__all__ = ["Feed"]

logger = logging.getLogger("jero")

TRY_AGAIN_LATER = 1013
"""The WebSocket close code for a subscriber that fell more than its buffer behind."""


class Feed[T]:
    """Subscribe a WebSocket (`attach`) or an SSE stream (`sse`) to a channel; made by
    `channel.feed()` and checked at wiring (see the module docstring)."""

    __slots__ = ("channel",)

    def __init__(self, channel: Channel[T]) -> None:
        self.channel = channel

    def __repr__(self) -> str:
        return f"Feed({self.channel!r})"

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def item_type(self) -> Any:
        return self.channel.item_type

    def subscribe(
        self, key: str = "", *, buffer: int | None = None, overflow: Overflow | None = None
    ) -> Subscription[T]:
        """As `Channel.subscribe`: items of `key` inside `async with`."""
        return self.channel.subscribe(key, buffer=buffer, overflow=overflow)

    async def attach(
        self,
        socket: WebSocket[T],
        key: str = "",
        *,
        buffer: int | None = None,
        overflow: Overflow | None = None,
    ) -> Subscription[T]:
        """Subscribe `socket` to `key`: each item is sent to it, in order, by a task of
        the hub's. Returns once subscribed; forwarding ends when the socket closes or
        the returned subscription is closed (`await sub.aclose()`, e.g. in the
        `disconnect` hook, which ends it at once). A socket that falls more than
        `buffer` items behind loses the oldest, or with `overflow="close"` is closed
        with 1013 (try again later)."""
        subscription = self.channel.subscribe(key, buffer=buffer, overflow=overflow)
        await subscription.__aenter__()
        self.channel.hub.start_soon(_forward, subscription, socket, self.name)
        return subscription

    def sse(
        self,
        key: str = "",
        *,
        last_event_id: str | None = None,
        event: str | None = None,
        retry: int | None = 2000,
        buffer: int | None = None,
        overflow: Overflow | None = None,
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent[T]]]:
        """A `stream=` for `SSEResponse[T]`: each item as an event with its id (when
        the backend keeps history) and the event name `event`. With `last_event_id`
        (the client's `Last-Event-ID` header) the items retained after that id are
        sent first, then the live ones, with none twice.

        The stream opens with an event that only sets the client's reconnection delay,
        `retry` milliseconds: it also sends the response head at once, so a client that
        sees the head knows it is subscribed (`retry=None` leaves it out, and the head
        then waits for the first item or keepalive ping).

        With `overflow="close"`, a client that falls more than `buffer` items behind has
        its stream ended instead of losing items: it reconnects, and with history
        resumes from its `Last-Event-ID` without a gap."""
        subscription = self.channel.subscribe(key, buffer=buffer, overflow=overflow)
        return self._sse(subscription, last_event_id, event, retry)

    async def _sse(
        self,
        subscription: Subscription[T],
        last_event_id: str | None,
        event: str | None,
        retry: int | None,
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent[T]]]:
        async with subscription:
            # Subscribed first, replayed second: nothing published in between is missed,
            # and what both carry is skipped by id.
            yield self._events(subscription, last_event_id, event, retry)

    async def _events(
        self,
        subscription: Subscription[T],
        last_event_id: str | None,
        event: str | None,
        retry: int | None,
    ) -> AsyncIterator[ServerSentEvent[T]]:
        if retry is not None:
            yield ServerSentEvent(retry=retry)
        last = last_event_id
        if last_event_id is not None:
            for event_id, data in await self.channel.hub.replay(
                self.channel.topic(subscription.key), last_event_id
            ):
                try:
                    item = self.channel.decode(data)
                except msgspec.DecodeError:
                    continue
                last = event_id
                yield ServerSentEvent(item, id=event_id, event=event)
        while True:
            try:
                event_id, item = await subscription.next_event()
            except (StopAsyncIteration, SubscriberOverflowError):
                return  # after an overflow the client reconnects (and resumes)
            if event_id is not None and last is not None and not later_id(event_id, last):
                continue
            yield ServerSentEvent(item, id=event_id, event=event)


async def _forward(subscription: Subscription[Any], socket: WebSocket[Any], name: str) -> None:
    """Send a subscription's items to a socket until either ends; never raises (it runs
    in the hub's task group, whose failure would take the app down)."""
    try:
        async for item in subscription:
            if not await socket.send(item):
                break
    except SubscriberOverflowError:
        await socket.close(TRY_AGAIN_LATER, "fell too far behind the channel")
    except anyio.get_cancelled_exc_class():
        raise
    except Exception:
        logger.exception("Forwarding channel %r to a WebSocket failed", name)
    finally:
        await subscription.aclose()
