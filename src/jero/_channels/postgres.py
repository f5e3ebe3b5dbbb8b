"""`PostgresBackend`: channels over PostgreSQL LISTEN/NOTIFY (asyncpg).

Every process holds one listening connection on one notification channel for the
whole hub, and a small pool for publishing. Every process therefore receives every
item published on any topic, and drops those no local subscriber wants: fine for the
tens of processes and the modest rates PostgreSQL notifications are made for; Redis is
the backend for heavy fan-out.

NOTIFY payloads are limited to 8000 bytes (less one). An item whose notification fits
travels inside it. A larger one is inserted into a table (`jero_channel_items`, created
when missing) and its notification carries only the row id, in the same transaction,
so the row is visible before anyone is notified; each listener reads the row, and rows
older than `large_item_ttl` seconds are deleted by later large publishes. Items are
delivered in the order each publisher committed them.

Notifications are at-most-once: a process whose listening connection is down misses
what is published meanwhile. When PostgreSQL goes away, `publish` raises
`ChannelUnavailableError`, and the listener reconnects with a delay doubling from
`reconnect_delay[0]` to `reconnect_delay[1]`; local subscriptions stay open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import anyio

from .backend import Deliver, Retained, cancel_listener, first_connection
from .errors import ChannelUnavailableError

__all__ = ["NOTIFY_LIMIT", "PostgresBackend"]

logger = logging.getLogger("jero")

NOTIFY_LIMIT = 7999
"""Bytes a NOTIFY payload may have (PostgreSQL requires fewer than 8000)."""


def _asyncpg() -> Any:
    """asyncpg, typed as Any: its annotations are partial (`Unknown` under pyright)."""
    import asyncpg  # pyright: ignore[reportMissingTypeStubs]

    return asyncpg


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_LOST = ""
"""Queued by the termination listener: the listening connection is gone."""


class PostgresBackend:
    """Channels over the PostgreSQL database at `dsn` (`postgresql://user@host/db`).

    - `channel`: the notification channel every process LISTENs on;
    - `table`: where items too large for a notification are stored;
    - `large_item_ttl`: seconds a stored large item is kept for listeners to read;
    - `connect_timeout`, `reconnect_delay`: as for `RedisBackend`;
    - `ping_interval`: seconds of silence after which the listener checks its
      connection (a broker that vanished without closing it is noticed then).
    """

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = "jero_channels",
        table: str = "jero_channel_items",
        large_item_ttl: float = 300.0,
        connect_timeout: float = 2.0,
        reconnect_delay: tuple[float, float] = (0.05, 2.0),
        ping_interval: float = 5.0,
    ) -> None:
        try:
            import asyncpg  # noqa: F401  # pyright: ignore[reportUnusedImport, reportMissingTypeStubs]
        except ImportError as error:
            raise ImportError("PostgresBackend needs asyncpg: install jero[postgres]") from error
        for what, name in (("channel", channel), ("table", table)):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"PostgresBackend({what}={name!r}): a lower-case identifier")
        self.dsn = dsn
        self.channel = channel
        self.table = table
        self.large_item_ttl = large_item_ttl
        self.connect_timeout = connect_timeout
        self.reconnect_delay = reconnect_delay
        self.ping_interval = ping_interval
        self.connections = 0
        """How many times the listener connected (1 + reconnections)."""
        self.stored = 0
        """Items this process published through the table (too large to notify)."""
        self._deliver: Deliver | None = None
        # asyncpg's pool and connections are held as Any: its annotations are partial.
        self._pool: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._topics: set[str] = set()
        self._connected = asyncio.Event()

    @property
    def keeps_history(self) -> bool:
        return False

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self, deliver: Deliver) -> None:
        asyncpg = _asyncpg()

        self._deliver = deliver
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=4, timeout=self.connect_timeout
            )
            async with self._pool.acquire() as connection, connection.transaction():
                # Two workers starting together must not both create the table.
                await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.table)
                await connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (id bigserial PRIMARY KEY, "
                    f"topic text NOT NULL, data bytea NOT NULL, "
                    f"created timestamptz NOT NULL DEFAULT now())"
                )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            await self.stop()
            raise ConnectionError(f"Channels: PostgreSQL did not answer: {error}") from error
        self._listener = asyncio.create_task(self._listen_forever())
        await first_connection(
            self._connected,
            self.connect_timeout,
            self.stop,
            f"Channels: could not LISTEN on PostgreSQL within {self.connect_timeout} s",
        )

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        await cancel_listener(listener)
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception), anyio.move_on_after(self.connect_timeout):
                await pool.close()
            pool.terminate()
        self._deliver = None

    # --- publishing ------------------------------------------------------------------

    async def publish(self, topic: str, data: bytes) -> str | None:
        asyncpg = _asyncpg()

        pool = self._pool
        if pool is None:
            raise RuntimeError("PostgresBackend: not started")
        payload = f"i{topic}\n{data.decode()}"
        failures = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
        for attempt in (1, 2):
            try:
                if len(payload.encode()) <= NOTIFY_LIMIT:
                    await pool.execute("SELECT pg_notify($1, $2)", self.channel, payload)
                else:
                    await self._publish_large(pool, topic, data)
            except asyncpg.ConnectionDoesNotExistError as error:
                # A pooled connection that died with a restarted server: the pool opens
                # a fresh one for the second attempt (nothing was sent on the first).
                if attempt == 2:
                    raise ChannelUnavailableError() from error
            except failures as error:
                raise ChannelUnavailableError() from error
            else:
                return None
        return None

    async def _publish_large(self, pool: Any, topic: str, data: bytes) -> None:
        reference = f"r{topic}\n"
        if len(reference.encode()) + 20 > NOTIFY_LIMIT:
            raise ValueError(f"PostgresBackend: the topic {topic[:40]!r}... is too long")
        async with pool.acquire() as connection, connection.transaction():
            row_id: int = await connection.fetchval(
                f"INSERT INTO {self.table} (topic, data) VALUES ($1, $2) RETURNING id",
                topic,
                data,
            )
            # Delivered at commit, after the row is visible.
            await connection.execute(
                "SELECT pg_notify($1, $2)", self.channel, f"{reference}{row_id}"
            )
            await connection.execute(
                f"DELETE FROM {self.table} WHERE created < now() - make_interval(secs => $1)",
                self.large_item_ttl,
            )
        self.stored += 1

    async def replay(self, topic: str, after: str) -> Retained:
        return []

    # --- subscribing -----------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Local only: the process already LISTENs to every topic."""
        self._topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)

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
                    logger.warning("Channels: lost PostgreSQL (%s); reconnecting", error)
                else:
                    delay = min(delay * 2, high)
            if self._connected.is_set():
                self._connected.clear()
                delay = low
            await asyncio.sleep(delay)

    async def _listen_once(self) -> None:
        asyncpg = _asyncpg()

        connection: Any = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
        queue: asyncio.Queue[str] = asyncio.Queue()

        def notified(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            queue.put_nowait(payload)

        try:
            connection.add_termination_listener(lambda _connection: queue.put_nowait(_LOST))  # pyright: ignore[reportUnknownLambdaType]
            with anyio.fail_after(self.connect_timeout):  # LISTEN answered, or lost
                await connection.add_listener(self.channel, notified)
            self.connections += 1
            if self.connections > 1:
                logger.warning("Channels: reconnected to PostgreSQL")
            self._connected.set()
            while True:
                try:
                    with anyio.fail_after(self.ping_interval):
                        payload = await queue.get()
                except TimeoutError:
                    await connection.fetchval("SELECT 1", timeout=self.connect_timeout)
                    continue
                if payload == _LOST:
                    raise ConnectionError("the listening connection closed")
                await self._handle(connection, payload)
        finally:
            with contextlib.suppress(Exception):
                connection.terminate()

    async def _handle(self, connection: Any, payload: str) -> None:
        kind, (topic, _, body) = payload[:1], payload[1:].partition("\n")
        deliver = self._deliver
        if deliver is None or topic not in self._topics:
            return
        if kind == "i":
            deliver(topic, None, body.encode())
        elif kind == "r":
            data: bytes | None = await connection.fetchval(
                f"SELECT data FROM {self.table} WHERE id = $1",
                int(body),
                timeout=self.connect_timeout,
            )
            if data is None:
                logger.warning("Channels: a large item of %r expired before it was read", topic)
                return
            deliver(topic, None, data)
