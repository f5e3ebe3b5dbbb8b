"""`RedisBackend`: channels over Redis (or Valkey) pub/sub, with optional history in
Redis Streams.

Every process keeps one subscriber connection (SUBSCRIBE per topic that has local
subscribers, so a process only receives the topics it needs) and one publishing client.
Pub/sub is at-most-once: an item published while a process is disconnected never
reaches that process. With `history=N`, each publish also appends the item to a stream
per topic (trimmed to N, expiring `history_ttl` seconds after its last item) in the
same server-side script, and the stream's entry id travels with the item as its event
id, so an SSE client that reconnects with `Last-Event-ID` is sent what it missed, and
this process itself, when its subscriber connection comes back, first delivers what
each subscribed topic's stream received since the last item it delivered.

When Redis goes away: `publish` raises `ChannelUnavailableError` at once (a refused
connection) or after the hub's `publish_timeout` (a silent one); the listener retries
with a delay doubling from `reconnect_delay[0]` to `reconnect_delay[1]`, and on
reconnection subscribes again to every topic that still has local subscribers. Local
subscriptions stay open throughout; they simply receive nothing while disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import anyio

from .backend import Deliver, Retained, cancel_listener, first_connection, later_id
from .errors import ChannelUnavailableError

__all__ = ["RedisBackend"]

logger = logging.getLogger("jero")

# One round trip, atomic: append to the topic's stream, trim, refresh its expiry, and
# publish "<entry id>\n<item>" so subscribers learn the id with the item.
_PUBLISH_WITH_HISTORY = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'd', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[1], id .. '\\n' .. ARGV[1])
return id
"""
_STREAM_ID = re.compile(r"\d+-\d+|\d+")


class RedisBackend:
    """Channels over the Redis (or Valkey) server at `url` (`redis://host:port/db`).

    - `history`: items kept per topic in a Redis Stream for `Last-Event-ID` replay
      (0, the default, keeps none and publishes with plain PUBLISH);
    - `history_ttl`: seconds a topic's stream outlives its last publish;
    - `prefix`: put before every topic, to share one Redis between apps;
    - `connect_timeout`: seconds to open a connection or confirm a subscription;
    - `reconnect_delay`: the first and the longest wait between reconnection attempts;
    - `ping_interval`: seconds of silence after which the listener PINGs; no answer
      within `connect_timeout` counts as a lost connection (a frozen server or a
      half-open TCP connection is noticed that way).
    """

    def __init__(
        self,
        url: str,
        *,
        history: int = 0,
        history_ttl: int = 86_400,
        prefix: str = "jero:",
        connect_timeout: float = 2.0,
        reconnect_delay: tuple[float, float] = (0.05, 2.0),
        ping_interval: float = 5.0,
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401  # pyright: ignore[reportUnusedImport]
        except ImportError as error:
            raise ImportError("RedisBackend needs redis-py: install jero[redis]") from error
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValueError(f"RedisBackend(history={history!r}): give an int >= 0")
        self.url = url
        self.history = history
        self.history_ttl = history_ttl
        self.prefix = prefix
        self.connect_timeout = connect_timeout
        self.reconnect_delay = reconnect_delay
        self.ping_interval = ping_interval
        self.connections = 0
        """How many times the listener connected (1 + reconnections)."""
        self._deliver: Deliver | None = None
        # redis-py's own annotations are loose (str | bytes everywhere): its objects
        # are held as Any here, and what comes out of them is typed where it is read.
        self._publisher: Any = None
        self._script: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._pubsub: Any = None
        self._topics: set[str] = set()
        self._last: dict[str, str] = {}
        """The last event id delivered per topic (with history): where to catch up from."""
        self.recovered = 0
        """Items this process caught up on from the streams after reconnecting."""
        self._confirmations: dict[bytes, asyncio.Event] = {}
        self._connected = asyncio.Event()

    @property
    def keeps_history(self) -> bool:
        return self.history > 0

    @property
    def connected(self) -> bool:
        """Whether the listener is connected and subscribed right now."""
        return self._connected.is_set()

    def _client(self) -> Any:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries inside redis-py: a failure surfaces at once, and this backend
        # decides what to do (raise to the publisher, reconnect the listener).
        return Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
            self.url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=self.connect_timeout
        )

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._publisher = self._client()
        self._script = self._publisher.register_script(_PUBLISH_WITH_HISTORY)
        self._listener = asyncio.create_task(self._listen_forever())
        await first_connection(
            self._connected,
            self.connect_timeout,
            self.stop,
            f"Channels: Redis at {self.url} did not answer within {self.connect_timeout} s",
        )

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        await cancel_listener(listener)
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose()
        self._deliver = None

    # --- publishing ------------------------------------------------------------------

    async def publish(self, topic: str, data: bytes) -> str | None:
        from redis.exceptions import RedisError

        publisher = self._publisher
        if publisher is None:
            raise RuntimeError("RedisBackend: not started")
        key = self.prefix + topic
        try:
            if self.history:
                entry: bytes = await self._script(
                    keys=[key], args=[data, self.history, self.history_ttl]
                )
                return entry.decode()
            await publisher.publish(key, b"\n" + data)
        except (RedisError, OSError) as error:
            raise ChannelUnavailableError() from error
        return None

    async def replay(self, topic: str, after: str) -> Retained:
        from redis.exceptions import RedisError

        if self._publisher is None or not _STREAM_ID.fullmatch(after):
            return []
        try:
            entries: list[tuple[bytes, dict[bytes, bytes]]] = await self._publisher.xrange(
                self.prefix + topic, min=f"({after}", max="+", count=self.history
            )
        except (RedisError, OSError) as error:
            raise ChannelUnavailableError() from error
        return [(entry.decode(), fields[b"d"]) for entry, fields in entries]

    # --- subscribing -----------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Returns once Redis confirmed the subscription. While the listener is
        reconnecting it waits for it, up to `connect_timeout`; past that it returns, and
        the listener subscribes when it is back."""
        self._topics.add(topic)
        if not self._connected.is_set():
            with anyio.move_on_after(self.connect_timeout):
                await self._connected.wait()
            return  # connecting subscribes to every topic, this one included
        pubsub = self._pubsub
        if pubsub is None:
            return
        key = (self.prefix + topic).encode()
        confirmed = self._confirmations.setdefault(key, asyncio.Event())
        with contextlib.suppress(Exception), anyio.move_on_after(self.connect_timeout):
            await pubsub.subscribe(key)
            await confirmed.wait()

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)
        self._last.pop(topic, None)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe(self.prefix + topic)

    # --- the listener ----------------------------------------------------------------

    async def _listen_forever(self) -> None:
        low, high = self.reconnect_delay
        delay = low
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._connected.is_set():
                    logger.warning("Channels: lost Redis at %s (%s); reconnecting", self.url, error)
                else:
                    delay = min(delay * 2, high)
            else:
                delay = low
            if self._connected.is_set():
                self._connected.clear()
                delay = low
            await asyncio.sleep(delay)

    async def _listen_once(self) -> None:
        client = self._client()
        pubsub: Any = client.pubsub()
        try:
            # Connected means answered: a server that accepts the connection but never
            # replies (frozen) must not count, so the whole handshake is bounded.
            with anyio.fail_after(self.connect_timeout):
                await self._subscribe_all(pubsub)
            self.connections += 1
            if self.connections > 1:
                logger.warning("Channels: reconnected to Redis at %s", self.url)
            self._connected.set()
            await self._read(pubsub)
        finally:
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _subscribe_all(self, pubsub: Any) -> None:
        # The control channel keeps the connection subscribed even with no topic, so it
        # can be read (and its loss noticed) at all times; its confirmation proves the
        # server answers.
        control = (self.prefix + "\0control").encode()
        await pubsub.subscribe(control)
        while True:
            message: dict[str, Any] | None = await pubsub.get_message(timeout=None)
            if message is not None and message["channel"] == control:
                break
        self._pubsub = pubsub
        if self._topics:
            await pubsub.subscribe(*[self.prefix + topic for topic in self._topics])
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Subscribed again after a disconnection: with history, deliver what each
        topic's stream got since the last item delivered here, before the live items
        (which wait on the connection meanwhile; `_pass_on` skips any seen twice)."""
        for topic, last in list(self._last.items()):
            entries: list[tuple[bytes, dict[bytes, bytes]]] = await self._publisher.xrange(
                self.prefix + topic, min=f"({last}", max="+", count=self.history
            )
            for entry, fields in entries:
                self.recovered += 1
                self._pass_on(topic, entry.decode(), fields[b"d"])

    def _pass_on(self, topic: str, event_id: str | None, data: bytes) -> None:
        deliver = self._deliver
        if deliver is None:
            return
        if event_id is not None and topic in self._topics:
            last = self._last.get(topic)
            if last is not None and not later_id(event_id, last):
                return  # already delivered by the catch-up
            self._last[topic] = event_id
        deliver(topic, event_id, data)

    async def _read(self, pubsub: Any) -> None:
        prefix = len(self.prefix)
        pinged = False  # a PING is waiting for its answer
        while True:
            wait = self.connect_timeout if pinged else self.ping_interval
            message: dict[str, Any] | None = await pubsub.get_message(timeout=wait)
            if message is None:
                if pinged:
                    raise ConnectionError(f"no answer to PING in {self.connect_timeout} s")
                await pubsub.ping()  # an idle connection that died is noticed here
                pinged = True
                continue
            pinged = False  # anything read proves the connection alive
            kind: str = message["type"]
            channel: bytes = message["channel"] or b""
            if kind == "message":
                payload: bytes = message["data"]
                head, _, data = payload.partition(b"\n")
                self._pass_on(channel[prefix:].decode(), head.decode() or None, data)
            elif kind == "subscribe":
                confirmed = self._confirmations.pop(channel, None)
                if confirmed is not None:
                    confirmed.set()
