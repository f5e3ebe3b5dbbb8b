"""Redis and PostgreSQL backends against real servers: typed round trips between two
hubs (two processes' worth), slow subscribers, a large PostgreSQL item, and the broker
stopped and restarted mid-run with exact counts of what arrived."""

from __future__ import annotations

import itertools
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import pytest
from msgspec import Struct

from jero import (
    Channels,
    ChannelUnavailableError,
    PostgresBackend,
    RedisBackend,
    Subscription,
)
from jero._channels.backend import Backend
from jero.testing import TestClient
from tests.channels.channels_postgres import pg_ctl, pg_start
from tests.postgres_server import PostgresServer
from tests.redis_server import RedisServer

pytestmark = pytest.mark.server


WAIT = 15.0  # hang guard only


class Note(Struct, tag="note"):
    n: int
    text: str = ""


class Gone(Struct, tag="gone"):
    n: int


type Item = Note | Gone


@dataclass
class Broker:
    """One broker a test can take away and bring back, and backends for it."""

    name: str
    backend: Callable[[], Backend]
    stop: Callable[[], None]
    start: Callable[[], None]


_channels = itertools.count()


@pytest.fixture(params=["redis", "postgres"])
def broker(request: pytest.FixtureRequest) -> Broker:
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis")
        return Broker(
            "redis",
            lambda: RedisBackend(redis.url, reconnect_delay=(0.05, 0.2)),
            lambda: redis.stop(kill=True),
            redis.start,
        )
    server: PostgresServer = request.getfixturevalue("postgres")
    channel = f"test_{next(_channels)}"  # each test its own notifications
    return Broker(
        "postgres",
        lambda: PostgresBackend(server.url(), channel=channel, reconnect_delay=(0.05, 0.2)),
        lambda: pg_ctl(server, "-m", "immediate", "stop"),
        lambda: pg_start(server),
    )


def run[T](main: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(main)


async def take[T](subscription: Subscription[T], count: int) -> list[T]:
    with anyio.fail_after(WAIT):
        return [await anext(subscription) for _ in range(count)]


def test_typed_items_round_trip_between_two_hubs(broker: Broker) -> None:
    async def main() -> tuple[list[Item], list[Item], list[Item]]:
        async with Channels(broker.backend()) as one, Channels(broker.backend()) as two:
            sent, received = one.channel("items", Item), two.channel("items", Item)
            async with (
                received.subscribe("a") as on_two,
                sent.subscribe("a") as on_one,
                received.subscribe("b") as other_key,
            ):
                await sent.publish(Note(1, "héllo"), key="a")
                await sent.publish(Gone(1), key="a")
                await received.publish(Note(2), key="b")
                return await take(on_two, 2), await take(on_one, 2), await take(other_key, 1)

    on_two, on_one, other_key = run(main)
    assert on_two == on_one == [Note(1, "héllo"), Gone(1)]
    assert other_key == [Note(2)]


def test_a_slow_subscriber_loses_only_its_own_oldest_items(broker: Broker) -> None:
    async def main() -> tuple[list[Item], list[Item], int]:
        async with Channels(broker.backend()) as one, Channels(broker.backend()) as two:
            sent, received = one.channel("items", Item), two.channel("items", Item)
            async with (
                received.subscribe(buffer=500) as fast,
                received.subscribe(buffer=10) as slow,
            ):
                for n in range(200):
                    await sent.publish(Note(n))
                got = await take(fast, 200)
                return got, await take(slow, 10), slow.dropped

    fast, slow, dropped = run(main)
    assert fast == [Note(n) for n in range(200)]
    assert slow == [Note(n) for n in range(190, 200)]
    assert dropped == 190


def test_the_broker_stopped_and_restarted_mid_run(broker: Broker) -> None:
    """20 items before the outage, 5 publish attempts during it, 20 after: the 5 raise
    ChannelUnavailableError at once, the subscriber reconnects by itself, and it gets
    exactly the 40 that were published."""

    async def main() -> tuple[list[Item], int, int, int]:
        publisher_backend, subscriber_backend = broker.backend(), broker.backend()
        async with Channels(publisher_backend) as one, Channels(subscriber_backend) as two:
            sent, received = one.channel("items", Item), two.channel("items", Item)
            async with received.subscribe(buffer=100) as subscription:
                for n in range(20):
                    await sent.publish(Note(n))
                before = await take(subscription, 20)
                assert two.connected
                await anyio.to_thread.run_sync(broker.stop)
                with anyio.fail_after(WAIT):
                    while two.connected:  # the subscriber notices the outage
                        await anyio.sleep(0.01)
                refused = 0
                for n in range(20, 25):
                    with anyio.fail_after(WAIT), pytest.raises(ChannelUnavailableError):
                        await sent.publish(Note(n))
                    refused += 1
                async with received.subscribe("opened-during-the-outage") as late:
                    await anyio.to_thread.run_sync(broker.start)
                    with anyio.fail_after(WAIT):
                        while not (
                            getattr(subscriber_backend, "connected", False)
                            and getattr(subscriber_backend, "connections", 0) >= 2
                        ):
                            await anyio.sleep(0.05)
                    for n in range(25, 45):
                        await sent.publish(Note(n))
                    after = await take(subscription, 20)
                    await sent.publish(Gone(0), key="opened-during-the-outage")
                    assert await take(late, 1) == [Gone(0)]
                connections = getattr(subscriber_backend, "connections", 0)
                return before + after, refused, connections, subscription.dropped

    received, refused, connections, dropped = run(main)
    print(f"{broker.name}: received {len(received)}, refused {refused}, dropped {dropped}")
    assert received == [Note(n) for n in (*range(20), *range(25, 45))]
    assert (refused, connections, dropped) == (5, 2, 0)


def test_a_large_item_goes_through_the_table_on_postgres(postgres: PostgresServer) -> None:
    big = Note(1, "x" * 100_000)

    async def main() -> tuple[list[Item], int]:
        backend = PostgresBackend(postgres.url(), channel=f"test_{next(_channels)}")
        async with Channels(backend) as hub:
            items = hub.channel("items", Item)
            async with items.subscribe() as subscription:
                await items.publish(Note(0, "small"))
                await items.publish(big)
                await items.publish(Gone(2))
                return await take(subscription, 3), backend.stored

    received, stored = run(main)
    assert received == [Note(0, "small"), big, Gone(2)]  # in order
    assert stored == 1


def test_a_frozen_redis_makes_publish_fail_after_the_timeout(redis: RedisServer) -> None:
    async def main() -> float:
        async with Channels(RedisBackend(redis.url), publish_timeout=0.5) as hub:
            items = hub.channel("items", Item)
            await items.publish(Note(0))
            pid = redis._process.pid  # pyright: ignore[reportPrivateUsage, reportOptionalMemberAccess]
            os.kill(pid, signal.SIGSTOP)
            try:
                started = anyio.current_time()
                with anyio.fail_after(WAIT), pytest.raises(ChannelUnavailableError):
                    await items.publish(Note(1))
                return anyio.current_time() - started
            finally:
                os.kill(pid, signal.SIGCONT)

    waited = run(main)
    print(f"a publish to a frozen Redis gave up after {waited:.2f} s")


@pytest.mark.parametrize("history", [0, 100])
def test_a_dropped_subscriber_connection_catches_up_from_the_streams(
    redis: RedisServer, history: int
) -> None:
    """Redis stays up; only the subscriber's connection is killed (CLIENT KILL). The 10
    items published before it reconnects are lost without history, and delivered first,
    in order, with it."""

    async def main() -> tuple[list[Item], int]:
        import redis.asyncio as aioredis

        subscriber = RedisBackend(redis.url, history=history, reconnect_delay=(0.3, 0.3))
        async with (
            Channels(RedisBackend(redis.url, history=history)) as one,
            Channels(subscriber) as two,
        ):
            sent, received = one.channel("items", Item), two.channel("items", Item)
            async with received.subscribe(buffer=100) as subscription:
                for n in range(10):
                    await sent.publish(Note(n))
                got = await take(subscription, 10)
                admin = aioredis.Redis.from_url(redis.url)
                await admin.client_kill_filter(_type="pubsub")
                await admin.aclose()
                with anyio.fail_after(WAIT):
                    while subscriber.connected:
                        await anyio.sleep(0.01)
                for n in range(10, 20):  # while the subscriber is disconnected
                    await sent.publish(Note(n))
                with anyio.fail_after(WAIT):
                    while not (subscriber.connected and subscriber.connections >= 2):
                        await anyio.sleep(0.01)
                for n in range(20, 30):
                    await sent.publish(Note(n))
                got += await take(subscription, 20 if history else 10)
                return got, subscriber.recovered

    received, recovered = run(main)
    if history:
        assert received == [Note(n) for n in range(30)]
        assert recovered == 10
    else:
        assert received == [Note(n) for n in (*range(10), *range(20, 30))]
        assert recovered == 0


def test_a_handler_publishing_during_an_outage_answers_503_and_startup_needs_the_broker(
    redis: RedisServer,
) -> None:
    from examples.live import App as LiveApp

    os.environ["CHANNELS_URL"] = redis.url
    try:
        with TestClient(LiveApp()) as client:
            assert client.post("/matches/m/score", json={"home": 1, "away": 0}).status_code == 200
            redis.stop(kill=True)
            response = client.post("/matches/m/score", json={"home": 2, "away": 0})
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "channel-unavailable",
            "title": "Channel unavailable",
            "status": 503,
        }
        refused = pytest.raises(ConnectionError, match=r"Redis at redis://127.0.0.1:\d+/0 did")
        with refused, TestClient(LiveApp()):
            pass
    finally:
        del os.environ["CHANNELS_URL"]


def test_postgres_unreachable_at_startup_fails_with_the_reason() -> None:
    async def main() -> None:
        backend = PostgresBackend("postgresql://jero@127.0.0.1:1/none", connect_timeout=1.0)
        with pytest.raises(ConnectionError, match="Channels: PostgreSQL did not answer"):
            async with Channels(backend):
                pass

    run(main)


def test_a_last_subscriber_leaving_as_another_joins_leaves_it_subscribed(
    broker: Broker,
) -> None:
    """The last subscriber of a key leaves while a new one joins, 20 times over: the
    newcomer always receives (the unsubscribe never lands after its subscribe)."""

    async def main() -> list[list[Item]]:
        async with Channels(broker.backend()) as hub:
            items = hub.channel("items", Item)
            received: list[list[Item]] = []
            leaving = items.subscribe("k")
            await leaving.__aenter__()
            for n in range(20):
                joining = items.subscribe("k")
                async with anyio.create_task_group() as group:
                    group.start_soon(leaving.aclose)
                    group.start_soon(joining.__aenter__)
                await items.publish(Note(n), key="k")
                received.append(await take(joining, 1))
                leaving = joining
            await leaving.aclose()
            return received

    assert run(main) == [[Note(n)] for n in range(20)]


def test_a_frozen_redis_is_noticed_by_the_listener_and_recovered_from(
    redis: RedisServer,
) -> None:
    """SIGSTOP keeps the TCP connection open but answers nothing: the listener's PING goes
    unanswered, `connected` turns False; after SIGCONT it reconnects and delivers."""

    async def main() -> tuple[bool, int, list[Item]]:
        backend = RedisBackend(
            redis.url, ping_interval=0.2, connect_timeout=0.5, reconnect_delay=(0.05, 0.2)
        )
        async with Channels(backend) as hub:
            items = hub.channel("items", Item)
            async with items.subscribe() as subscription:
                pid = redis._process.pid  # pyright: ignore[reportPrivateUsage, reportOptionalMemberAccess]
                os.kill(pid, signal.SIGSTOP)
                try:
                    with anyio.fail_after(WAIT):
                        while hub.connected:
                            await anyio.sleep(0.02)
                    noticed = not hub.connected
                finally:
                    os.kill(pid, signal.SIGCONT)
                with anyio.fail_after(WAIT):
                    while not hub.connected:
                        await anyio.sleep(0.02)
                await items.publish(Note(1))
                return noticed, backend.connections, await take(subscription, 1)

    noticed, connections, received = run(main)
    assert noticed and connections >= 2
    assert received == [Note(1)]
