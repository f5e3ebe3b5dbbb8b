"""`Channels`: the hub of one process, the channels declared on it, and its subscribers.

    channels = await self._create_channels(backend=RedisBackend("redis://..."))
    rooms = channels.channel("rooms", RoomEvent)        # declared once, in _wire
    await rooms.publish(Posted(...), key="lobby")       # anywhere: handlers, tasks
    async with rooms.subscribe("lobby") as sub: ...     # anywhere: sockets, streams

The hub owns the backend's connection and every local subscription: an item arriving
from the broker is decoded once per topic and appended to each subscriber's bounded
buffer, never waiting on any of them (see `Subscription`). Declarations are checked:
a name declared again with another item type is a `WiringError`, so a subscriber that
declares the type it expects fails the startup when the publisher's type differs.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self

import anyio
import anyio.abc
import msgspec

from .._errors import WiringError
from .._types import is_struct_type
from .backend import Backend
from .channel import Channel
from .errors import ChannelUnavailableError
from .memory import InProcessBackend
from .subscription import Overflow, Subscription
from .types import members, shown, unaliased

__all__ = ["Channels"]

logger = logging.getLogger("jero")

_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_OVERFLOWS = ("drop_oldest", "close")


class Channels:
    """One process's channels over one backend (`InProcessBackend()` by default).

    Create it in `_wire` with `await self._create_channels(backend=...)` (it connects
    then, and closes at shutdown after the sockets and streams); scripts and workers
    use `async with Channels(backend) as channels:`.

    - `buffer`: items each subscriber may hold unread (default 256);
    - `overflow`: what a full buffer does, `"drop_oldest"` or `"close"`;
    - `publish_timeout`: seconds a publish may take before `ChannelUnavailableError`.
    """

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        buffer: int = 256,
        overflow: Overflow = "drop_oldest",
        publish_timeout: float = 5.0,
    ) -> None:
        self.backend: Backend = backend if backend is not None else InProcessBackend()
        self.buffer = _check_buffer(buffer, "Channels")
        self.overflow: Overflow = _check_overflow(overflow, "Channels")
        if not publish_timeout > 0:
            raise WiringError(f"Channels(publish_timeout={publish_timeout!r}): give seconds > 0")
        self.publish_timeout = publish_timeout
        self.undecodable = 0
        """Items that arrived but did not decode as their channel's type (logged)."""
        self._channels: dict[str, Channel[Any]] = {}
        self._topics: dict[str, set[Subscription[Any]]] = {}
        self._subscribed: set[str] = set()
        """Topics the backend is subscribed to (or subscribing, under the lock)."""
        self._locks: dict[str, anyio.Lock] = {}
        self._group: anyio.abc.TaskGroup | None = None

    @property
    def connected(self) -> bool:
        """Whether the hub is open and its backend connected: items published by other
        processes reach this one (for a readiness check)."""
        return self._group is not None and self.backend.connected

    # --- declaring -------------------------------------------------------------------

    @typing.overload
    def channel[T](self, name: str, item_type: type[T]) -> Channel[T]: ...
    @typing.overload
    def channel(self, name: str, item_type: Any) -> Channel[Any]: ...
    def channel(self, name: str, item_type: Any) -> Channel[Any]:
        """The channel `name` carrying `item_type` (a Struct or a union of tagged
        Structs). Declaring a name again returns the same channel when the type is the
        same, and is a `WiringError` when it differs."""
        where = f"channels.channel({name!r}, ...)"
        if not isinstance(name, str) or not _NAME.fullmatch(name):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise WiringError(
                f"{where}: a channel name is letters, digits, '_', '.' and '-' (the key "
                f"follows it after a colon), got {name!r}"
            )
        resolved = unaliased(item_type)
        struct_types = _struct_members(resolved, where)
        declared = self._channels.get(name)
        if declared is not None:
            if declared.item_type != resolved:
                raise WiringError(
                    f"{where}: the channel {name!r} carries {shown(declared.item_type)}, "
                    f"not {shown(resolved)}; a channel has one item type everywhere: "
                    f"declare it with {shown(declared.item_type)} or use another name"
                )
            return declared
        channel = Channel[Any](self, name, resolved, struct_types)
        self._channels[name] = channel
        return channel

    # --- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        # The backend first: a broker that cannot be reached fails the startup with its
        # own error, not one wrapped in the task group's exception group.
        await self.backend.start(self._deliver)
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        group, self._group = self._group, None
        for subscribers in list(self._topics.values()):
            for subscription in list(subscribers):
                subscription.close()
        try:
            if group is not None:
                group.cancel_scope.cancel()
                await group.__aexit__(None, None, None)
        finally:
            self._topics.clear()
            self._subscribed.clear()
            with anyio.CancelScope(shield=True):
                await self.backend.stop()

    # --- what channels call ----------------------------------------------------------

    def open_subscription[T](
        self, channel: Channel[T], key: str, buffer: int | None, overflow: Overflow | None
    ) -> Subscription[T]:
        topic = channel.topic(key)
        return Subscription[T](
            key,
            self.buffer if buffer is None else _check_buffer(buffer, "subscribe"),
            self.overflow if overflow is None else _check_overflow(overflow, "subscribe"),
            lambda sub: self._join(topic, sub),
            lambda sub: self._leave(topic, sub),
        )

    async def publish_encoded(self, topic: str, data: bytes) -> str | None:
        if self._group is None:
            raise RuntimeError("Channels: publish needs the hub open (created in _wire)")
        try:
            with anyio.fail_after(self.publish_timeout):
                return await self.backend.publish(topic, data)
        except TimeoutError:
            raise ChannelUnavailableError() from None

    async def replay(self, topic: str, after: str) -> list[tuple[str, bytes]]:
        """Retained items after `after`; nothing when there is no history or the broker
        cannot answer in time (the stream then starts with the live items)."""
        if not self.backend.keeps_history:
            return []
        try:
            with anyio.fail_after(self.publish_timeout):
                return list(await self.backend.replay(topic, after))
        except (TimeoutError, ChannelUnavailableError):
            logger.warning("Channels: no history for %r (the broker did not answer)", topic)
            return []

    def start_soon(self, work: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        if self._group is None:
            raise RuntimeError("Channels: the hub is not open")
        self._group.start_soon(work, *args)

    # --- subscribers -----------------------------------------------------------------

    async def _join(self, topic: str, subscription: Subscription[Any]) -> None:
        """Add a local subscriber; the first of a topic subscribes the backend. Every
        joiner waits for that subscription, so each returns subscribed."""
        if self._group is None:
            raise RuntimeError("Channels: subscribe needs the hub open (created in _wire)")
        self._topics.setdefault(topic, set()).add(subscription)
        async with self._lock(topic):
            if topic in self._subscribed:
                return
            try:
                await self.backend.subscribe(topic)
            except BaseException:
                self._drop(topic, subscription)
                raise
            self._subscribed.add(topic)

    async def _leave(self, topic: str, subscription: Subscription[Any]) -> None:
        """Remove a local subscriber; the last of a topic unsubscribes the backend,
        unless someone joined while it waited for the topic's lock."""
        if not self._drop(topic, subscription):
            return
        async with self._lock(topic):
            if self._topics.get(topic) or topic not in self._subscribed:
                return
            self._subscribed.discard(topic)
            if self._group is None:
                return
            try:
                with anyio.move_on_after(self.publish_timeout):
                    await self.backend.unsubscribe(topic)
            except Exception:
                logger.warning("Channels: could not unsubscribe from %r", topic, exc_info=True)

    def _drop(self, topic: str, subscription: Subscription[Any]) -> bool:
        """Forget a subscriber; True when it was the topic's last."""
        subscribers = self._topics.get(topic)
        if subscribers is None:
            return False
        subscribers.discard(subscription)
        if subscribers:
            return False
        del self._topics[topic]
        return True

    def _lock(self, topic: str) -> anyio.Lock:
        """The lock that orders a topic's backend subscribe and unsubscribe calls (a
        leave and a join racing must not end unsubscribed with a subscriber)."""
        lock = self._locks.get(topic)
        if lock is None:
            lock = self._locks[topic] = anyio.Lock()
        if len(self._locks) > 1024:  # forget idle topics' locks now and then
            for name, idle in list(self._locks.items()):
                if name != topic and not idle.locked() and name not in self._topics:
                    del self._locks[name]
        return lock

    def _deliver(self, topic: str, event_id: str | None, data: bytes) -> None:
        """Called by the backend for each item of a subscribed topic: decode once and
        append to every local subscriber, waiting on none."""
        subscribers = self._topics.get(topic)
        if not subscribers:
            return
        channel = self._channels.get(topic.partition(":")[0])
        if channel is None:
            return
        try:
            item = channel.decode(data)
        except msgspec.DecodeError as error:
            self.undecodable += 1
            logger.warning("Channels: an item of %r does not decode: %s", topic, error)
            return
        for subscription in list(subscribers):
            subscription.put(event_id, item)
            if subscription.closed:
                subscribers.discard(subscription)


def _struct_members(tp: Any, where: str) -> tuple[type, ...]:
    found = members(tp)
    if not all(is_struct_type(member) for member in found):
        raise WiringError(
            f"{where}: the item type must be a msgspec Struct or a union of tagged Structs, "
            f"got {shown(tp)}"
        )
    if len(found) > 1:
        try:
            msgspec.json.Decoder(tp)
        except TypeError as error:
            raise WiringError(f"{where}: {error}; give each Struct a tag=") from None
    return found


def _check_buffer(buffer: int, where: str) -> int:
    if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise WiringError(f"{where}(buffer={buffer!r}): give a positive int")
    return buffer


def _check_overflow(overflow: Overflow, where: str) -> Overflow:
    if overflow not in _OVERFLOWS:
        raise WiringError(f"{where}(overflow={overflow!r}): use 'drop_oldest' or 'close'")
    return overflow
