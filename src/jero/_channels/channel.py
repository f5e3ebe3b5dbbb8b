"""`Channel[T]`: one named, typed channel of a hub; what handlers, sockets and streams use.

Items are encoded once per publish (msgspec JSON) and decoded once per process and
topic, however many local subscribers share them: subscribers of one topic in one
process receive the same decoded object, so treat items as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import msgspec

from .backend import check_key
from .feed import Feed
from .subscription import Overflow, Subscription
from .types import shown

__all__ = ["Channel", "Hub"]


class Hub(Protocol):
    """What a channel needs of its hub (kept narrow so the two modules stay apart)."""

    def open_subscription[T](
        self, channel: Channel[T], key: str, buffer: int | None, overflow: Overflow | None
    ) -> Subscription[T]: ...

    async def publish_encoded(self, topic: str, data: bytes) -> str | None: ...

    async def replay(self, topic: str, after: str) -> list[tuple[str, bytes]]: ...

    def start_soon(self, work: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None: ...


class Channel[T]:
    """A typed channel declared with `channels.channel(name, ItemType)`.

    - `await channel.publish(item, key="")` sends `item` to every subscriber of `key`
      in every process; returns the item's event id when the backend keeps history.
    - `async with channel.subscribe(key) as sub: async for item in sub:` receives.
    - `channel.feed()` is what a WebSocket endpoint or an SSE route subscribes
      through (`Feed.attach`, `Feed.sse`), checked at wiring.

    A key partitions a channel (a chat room, a user, a document); `""` is the whole
    channel. Keys are plain strings, decided at request time.
    """

    __slots__ = ("_decoder", "_members", "hub", "item_type", "name")

    def __init__(self, hub: Hub, name: str, item_type: Any, members: tuple[type, ...]) -> None:
        self.hub = hub
        self.name = name
        self.item_type = item_type
        self._members = members
        self._decoder = msgspec.json.Decoder(item_type)

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, {shown(self.item_type)})"

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
                f"{self!r}.publish takes {shown(self.item_type)} items, got {type(item).__name__}"
            )
        return await self.hub.publish_encoded(self.topic(key), _encoder.encode(item))

    def subscribe(
        self, key: str = "", *, buffer: int | None = None, overflow: Overflow | None = None
    ) -> Subscription[T]:
        """A subscription to `key`, active inside `async with` (see `Subscription`).
        `buffer` and `overflow` override the hub's defaults for this subscriber."""
        return self.hub.open_subscription(self, key, buffer, overflow)

    def feed(self) -> Feed[T]:
        """This channel's subscribing side, for a WebSocket endpoint or a route that
        streams it: held as a constructor argument, its item type is checked against
        the socket's `WebSocket[Out]` or the route's `SSEResponse[T]` at wiring."""
        return Feed(self)


_encoder = msgspec.json.Encoder()
