"""`Channel[T]`: one named, typed channel of a hub; what handlers, sockets and streams use.

Items are encoded once per publish (msgspec JSON) and decoded once per process and
topic, however many local subscribers share them: subscribers of one topic in one
process receive the same decoded object, so treat items as read-only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Protocol

import anyio
import msgspec

from .._streaming.responses import ServerSentEvent
from .._websockets.socket import WebSocket
from .backend import later_id
from .errors import SubscriberOverflowError
from .subscription import Overflow, Subscription

__all__ = ["Channel", "check_key"]

logger = logging.getLogger("jero")

TRY_AGAIN_LATER = 1013
"""The WebSocket close code for a subscriber that fell more than its buffer behind."""


class _Hub(Protocol):
    """What a channel needs of its hub (kept narrow so the two modules stay apart)."""

    def open_subscription[T](
        self, channel: Channel[T], key: str, buffer: int | None, overflow: Overflow | None
    ) -> Subscription[T]: ...

    async def publish_encoded(self, topic: str, data: bytes) -> str | None: ...

    async def replay(self, topic: str, after: str) -> list[tuple[str, bytes]]: ...

    def start_soon(self, work: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or "\n" in key or "\0" in key:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ValueError(f"a channel key is a str without line breaks or NUL, got {key!r}")
    return key


class Channel[T]:
    """A typed channel declared with `channels.channel(name, ItemType)`.

    - `await channel.publish(item, key="")` sends `item` to every subscriber of `key`
      in every process; returns the item's event id when the backend keeps history.
    - `async with channel.subscribe(key) as sub: async for item in sub:` receives.
    - `await channel.attach(socket, key)` forwards items to a `WebSocket` until the
      socket closes or the returned subscription is closed.
    - `channel.sse(key, last_event_id=...)` is a `stream=` for `SSEResponse`, resuming
      from the client's `Last-Event-ID` when the backend keeps history.

    A key partitions a channel (a chat room, a user, a document); `""` is the whole
    channel. Keys are plain strings, decided at request time.
    """

    __slots__ = ("_decoder", "_hub", "_members", "item_type", "name")

    def __init__(self, hub: _Hub, name: str, item_type: Any, members: tuple[type, ...]) -> None:
        self._hub = hub
        self.name = name
        self.item_type = item_type
        self._members = members
        self._decoder = msgspec.json.Decoder(item_type)

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, {getattr(self.item_type, '__name__', self.item_type)})"

    def topic(self, key: str) -> str:
        """The broker topic of `key`: the channel's name, and the key after a colon."""
        return f"{self.name}:{check_key(key)}" if key else self.name

    def decode(self, data: bytes) -> T:
        return self._decoder.decode(data)

    async def publish(self, item: T, key: str = "") -> str | None:
        """Encode `item` once and send it to every subscriber of `key`, everywhere.

        Raises `ChannelUnavailableError` (a 503 problem) when the broker does not take
        it within the hub's `publish_timeout`; it never waits longer than that.
        """
        if not isinstance(item, self._members):
            raise TypeError(
                f"{self!r}.publish takes {getattr(self.item_type, '__name__', self.item_type)}"
                f" items, got {type(item).__name__}"
            )
        return await self._hub.publish_encoded(self.topic(key), _encoder.encode(item))

    def subscribe(
        self, key: str = "", *, buffer: int | None = None, overflow: Overflow | None = None
    ) -> Subscription[T]:
        """A subscription to `key`, active inside `async with` (see `Subscription`).
        `buffer` and `overflow` override the hub's defaults for this subscriber."""
        return self._hub.open_subscription(self, key, buffer, overflow)

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
        subscription = self.subscribe(key, buffer=buffer, overflow=overflow)
        await subscription.__aenter__()
        self._hub.start_soon(_forward, subscription, socket, self.name)
        return subscription

    def sse(
        self,
        key: str = "",
        *,
        last_event_id: str | None = None,
        event: str | None = None,
        retry: int | None = 2000,
        buffer: int | None = None,
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent[T]]]:
        """A `stream=` for `SSEResponse[T]`: each item as an event with its id (when
        the backend keeps history) and the event name `event`. With `last_event_id`
        (the client's `Last-Event-ID` header) the items retained after that id are
        sent first, then the live ones, with none twice.

        The stream opens with an event that only sets the client's reconnection delay,
        `retry` milliseconds: it also sends the response head at once, so a client that
        sees the head knows it is subscribed (`retry=None` leaves it out, and the head
        then waits for the first item or keepalive ping)."""
        return self._sse(check_key(key), last_event_id, event, retry, buffer)

    async def _sse(
        self,
        key: str,
        last_event_id: str | None,
        event: str | None,
        retry: int | None,
        buffer: int | None,
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent[T]]]:
        async with self.subscribe(key, buffer=buffer) as subscription:
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
            for event_id, data in await self._hub.replay(
                self.topic(subscription.key), last_event_id
            ):
                try:
                    item = self._decoder.decode(data)
                except msgspec.ValidationError:
                    continue
                last = event_id
                yield ServerSentEvent(item, id=event_id, event=event)
        while True:
            try:
                event_id, item = await subscription.next_event()
            except StopAsyncIteration:
                return
            if event_id is not None and last is not None and not later_id(event_id, last):
                continue
            yield ServerSentEvent(item, id=event_id, event=event)


_encoder = msgspec.json.Encoder()


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
