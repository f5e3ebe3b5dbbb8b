"""The hub in one process: typed round trips, declarations checked at wiring, bounded
subscriber buffers, WebSocket and SSE subscribers, `Last-Event-ID` resumption."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from msgspec import Struct

from jero import (
    BaseApp,
    Channel,
    Channels,
    Endpoint,
    Feed,
    InProcessBackend,
    ServerSentEvent,
    SSEResponse,
    SubscriberOverflowError,
    Subscription,
    WebSocket,
    WebSocketEndpoint,
    WiringError,
    backend_from_url,
)
from jero.testing import TestClient, WebSocketClosed, iter_sse


class Tick(Struct):
    n: int


class Added(Struct, tag="added"):
    name: str


class Removed(Struct, tag="removed"):
    name: str


type Change = Added | Removed


def run[T](main: object) -> T:
    return anyio.run(main)  # type: ignore[arg-type, return-value]


async def take[T](subscription: Subscription[T], count: int) -> list[T]:
    with anyio.fail_after(5):
        return [await anext(subscription) for _ in range(count)]


def test_items_round_trip_typed_by_key() -> None:
    async def main() -> tuple[list[Change], list[Change], int]:
        async with Channels() as channels:
            changes = channels.channel("changes", Change)
            async with changes.subscribe("a") as on_a, changes.subscribe("b") as on_b:
                await changes.publish(Added("x"), key="a")
                await changes.publish(Removed("y"), key="b")
                await changes.publish(Removed("x"), key="a")
                return await take(on_a, 2), await take(on_b, 1), on_a.dropped

    on_a, on_b, dropped = run(main)
    assert on_a == [Added("x"), Removed("x")]
    assert on_b == [Removed("y")]
    assert dropped == 0


def test_a_name_declared_twice_must_carry_the_same_type() -> None:
    channels = Channels()
    ticks = channels.channel("ticks", Tick)
    assert channels.channel("ticks", Tick) is ticks
    with pytest.raises(WiringError, match=r"the channel 'ticks' carries Tick, not Added"):
        channels.channel("ticks", Added)
    changes = channels.channel("changes", Change)
    assert channels.channel("changes", Added | Removed) is changes  # the alias's value


@pytest.mark.parametrize(
    ("name", "item_type", "message"),
    [
        ("plain", int, "must be a msgspec Struct or a union of tagged Structs, got int"),
        ("bad name", Tick, "a channel name is letters, digits"),
        ("has:colon", Tick, "a channel name is letters, digits"),
    ],
)
def test_what_a_channel_cannot_be(name: str, item_type: object, message: str) -> None:
    with pytest.raises(WiringError, match=message):
        Channels().channel(name, item_type)


def test_an_untagged_union_is_refused() -> None:
    class A(Struct):
        x: int

    class B(Struct):
        y: int

    with pytest.raises(WiringError, match="give each Struct a tag="):
        Channels().channel("ab", A | B)


def test_publishing_another_type_or_before_the_hub_opens_is_refused() -> None:
    async def main() -> None:
        channels = Channels()
        ticks: Channel[object] = channels.channel("ticks", Tick)
        with pytest.raises(RuntimeError, match="needs the hub open"):
            await ticks.publish(Tick(1))
        async with channels:
            with pytest.raises(TypeError, match=r"publish takes Tick items, got Added"):
                await ticks.publish(Added("x"))

    run(main)


def test_a_slow_subscriber_loses_its_oldest_items_and_stalls_no_one() -> None:
    async def main() -> tuple[list[Tick], list[Tick], int, int]:
        async with Channels(buffer=1000) as channels:
            ticks = channels.channel("ticks", Tick)
            async with ticks.subscribe() as fast, ticks.subscribe(buffer=8) as slow:
                for n in range(100):
                    await ticks.publish(Tick(n))
                return await take(fast, 100), await take(slow, 8), slow.dropped, slow.received

    fast, slow, dropped, received = run(main)
    assert fast == [Tick(n) for n in range(100)]
    assert slow == [Tick(n) for n in range(92, 100)]
    assert (dropped, received) == (92, 100)


def test_overflow_close_ends_the_subscription_with_an_error() -> None:
    async def main() -> list[Tick]:
        async with Channels() as channels:
            ticks = channels.channel("ticks", Tick)
            async with ticks.subscribe(buffer=2, overflow="close") as strict:
                for n in range(3):
                    await ticks.publish(Tick(n))
                with pytest.raises(SubscriberOverflowError, match="more than 2 items behind"):
                    await anext(strict)
            async with ticks.subscribe() as later:  # the channel goes on for others
                await ticks.publish(Tick(9))
                return await take(later, 1)

    assert run(main) == [Tick(9)]


def test_backend_from_url_picks_by_scheme() -> None:
    assert isinstance(backend_from_url(None), InProcessBackend)
    assert backend_from_url("memory://", history=5).keeps_history
    assert type(backend_from_url("redis://127.0.0.1:1/0")).__name__ == "RedisBackend"
    assert type(backend_from_url("postgresql://u@127.0.0.1:1/db")).__name__ == "PostgresBackend"
    with pytest.raises(ValueError, match="no channels backend for 'kafka://x'"):
        backend_from_url("kafka://x")


# --- in an app: handlers publish, sockets and streams subscribe ------------------------


class FeedSocket(WebSocketEndpoint, path="/feed"):
    def __init__(self, ticks: Feed[Tick]) -> None:
        self.ticks = ticks
        self.subscriptions: dict[WebSocket[Tick], Subscription[Tick]] = {}

    async def connect(self, socket: WebSocket[Tick]) -> None:
        self.subscriptions[socket] = await self.ticks.attach(socket, buffer=4, overflow="close")

    async def disconnect(self, socket: WebSocket[Tick]) -> None:
        await self.subscriptions.pop(socket).aclose()


class LastEvent(Struct):
    last_event_id: str | None = None


class TickFeed(Endpoint, path="/ticks"):
    def __init__(self, ticks: Channel[Tick]) -> None:
        self.ticks = ticks
        self.stream = ticks.feed()

    async def get(self, headers: LastEvent) -> SSEResponse[Tick]:
        return SSEResponse(self.stream.sse(last_event_id=headers.last_event_id, event="tick"))

    async def post(self, json: Tick) -> Tick:
        await self.ticks.publish(json)
        return json


class StrictFeed(Endpoint, path="/strict"):
    def __init__(self, ticks: Feed[Tick]) -> None:
        self.ticks = ticks

    async def get(self) -> SSEResponse[Tick]:
        return SSEResponse(self.ticks.sse(buffer=4, overflow="close"))


class Flood(Endpoint, path="/flood"):
    def __init__(self, ticks: Channel[Tick]) -> None:
        self.ticks = ticks

    async def post(self, json: Tick) -> Tick:
        for n in range(json.n):
            await self.ticks.publish(Tick(n))
        return json


class FeedApp(BaseApp):
    async def _wire(self) -> None:
        channels = await self._create_channels(backend=InProcessBackend(history=3))
        ticks = channels.channel("ticks", Tick)
        self.channels = channels
        self._include_websocket(FeedSocket(ticks.feed()))
        self._include_endpoint(TickFeed(ticks))
        self._include_endpoint(Flood(ticks))
        self._include_endpoint(StrictFeed(ticks.feed()))


def test_a_handler_publishes_and_a_websocket_receives() -> None:
    with TestClient(FeedApp()) as client, client.websocket_connect("/feed") as ws:
        for n in (1, 2):
            assert client.post("/ticks", json={"n": n}).status_code == 200
        assert [ws.receive(Tick), ws.receive(Tick)] == [Tick(1), Tick(2)]


def test_a_socket_that_falls_behind_with_overflow_close_is_closed_with_1013() -> None:
    with TestClient(FeedApp()) as client, client.websocket_connect("/feed") as ws:
        # 50 publishes in one handler, with no pause in between for the forwarding
        # task: the socket's buffer of 4 overflows.
        assert client.post("/flood", json={"n": 50}).status_code == 200
        received: list[Tick] = []
        with pytest.raises(WebSocketClosed) as closed:
            while True:
                received.append(ws.receive(Tick))
    assert (closed.value.code, closed.value.reason) == (1013, "fell too far behind the channel")
    assert received == []


def test_an_sse_client_that_falls_behind_with_overflow_close_has_its_stream_ended() -> None:
    with TestClient(FeedApp()) as client, client.stream("GET", "/strict") as response:
        events = iter_sse(response, Tick)
        assert next(events) == ServerSentEvent(retry=2000)
        client.post("/flood", json={"n": 50})
        rest = list(events)  # the stream ends; the client would reconnect and resume
    assert rest == []


def test_sse_resumes_after_last_event_id_from_the_history() -> None:
    with TestClient(FeedApp()) as client:
        for n in range(5):
            client.post("/ticks", json={"n": n})
        # History keeps the last 3 (ids 3, 4, 5); the client saw id 3 before it lost
        # the connection: it is sent 4 and 5, then live items.
        with client.stream("GET", "/ticks", headers={"Last-Event-ID": "3"}) as response:
            assert response.headers["content-type"] == "text/event-stream"
            events = iter_sse(response, Tick)
            first = [next(events), next(events), next(events)]
            client.post("/ticks", json={"n": 99})
            live = next(events)
    assert first == [
        ServerSentEvent(retry=2000),
        ServerSentEvent(Tick(3), event="tick", id="4"),
        ServerSentEvent(Tick(4), event="tick", id="5"),
    ]
    assert live == ServerSentEvent(Tick(99), event="tick", id="6")


def test_an_item_another_version_encoded_differently_is_dropped_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two versions of an app share a channel during a rolling deploy: an item that does
    not decode as this process's type reaches no subscriber, is counted and logged."""

    async def main() -> tuple[list[Tick], int]:
        backend = InProcessBackend()
        async with Channels(backend) as channels:
            ticks = channels.channel("ticks", Tick)
            async with ticks.subscribe() as subscription:
                await backend.publish("ticks", b'{"n": "not a number"}')
                await ticks.publish(Tick(1))
                return await take(subscription, 1), channels.undecodable

    received, undecodable = run(main)
    assert (received, undecodable) == ([Tick(1)], 1)
    assert "an item of 'ticks' does not decode: Expected `int`, got `str`" in caplog.text


# --- what a route subscribes to is checked at wiring -----------------------------------


class Other(Struct):
    x: int


class Renamed(Struct, tag="renamed"):
    name: str


class TickSocket(WebSocketEndpoint, path="/t"):
    def __init__(self, feed: Feed[Any]) -> None:
        self.feed = feed

    async def connect(self, socket: WebSocket[Tick]) -> None:
        await self.feed.attach(socket)


class ChangeSocket(WebSocketEndpoint, path="/c"):
    def __init__(self, feed: Feed[Any]) -> None:
        self.feed = feed

    async def connect(self, socket: WebSocket[Change]) -> None:
        await self.feed.attach(socket)


class Silent(WebSocketEndpoint, path="/s"):
    def __init__(self, feed: Feed[Any]) -> None:
        self.feed = feed

    async def disconnect(self, code: int) -> None:
        pass


class TickStream(Endpoint, path="/ts"):
    def __init__(self, feed: Feed[Any]) -> None:
        self.feed = feed

    async def get(self) -> SSEResponse[Tick]:
        return SSEResponse(self.feed.sse())


class NoStream(Endpoint, path="/ns"):
    def __init__(self, feed: Feed[Any]) -> None:
        self.feed = feed

    async def get(self) -> Tick:
        return Tick(0)


def wire(include: Callable[[BaseApp, Channels], None]) -> BaseException | None:
    class App(BaseApp):
        async def _wire(self) -> None:
            include(self, await self._create_channels())

    app = App()
    try:
        with TestClient(app):
            return None
    except WiringError as error:
        return error


def test_feeds_that_fit_what_the_route_sends_wire() -> None:
    def include(app: BaseApp, channels: Channels) -> None:
        app._include_websocket(TickSocket(channels.channel("ticks", Tick).feed()))
        # A feed of one member of the socket's union fits too.
        app._include_websocket(ChangeSocket(channels.channel("added", Added).feed()))
        app._include_endpoint(TickStream(channels.channel("ticks", Tick).feed()))

    assert wire(include) is None


@pytest.mark.parametrize(
    ("route", "channel_type", "message"),
    [
        (
            TickSocket,
            Other,
            r"TickSocket.feed \(Feed\(Channel\('c', Other\)\)\): the feed carries Other, "
            r"which the socket's WebSocket\[Tick\] cannot send",
        ),
        (
            ChangeSocket,
            Added | Renamed,
            r"the feed carries Added \| Renamed, which the socket's "
            r"WebSocket\[Added \| Removed\] cannot send",
        ),
        (Silent, Tick, r"Silent.feed .*no hook declares what it sends; declare `socket: "),
        (
            TickStream,
            Other,
            r"TickStream.feed .*: the feed carries Other, but TickStream streams Tick",
        ),
        (NoStream, Tick, r"NoStream.feed .*no handler of NoStream returns a stream"),
    ],
)
def test_a_feed_the_route_cannot_send_is_a_wiring_error(
    route: type, channel_type: object, message: str
) -> None:
    def include(app: BaseApp, channels: Channels) -> None:
        feed = channels.channel("c", channel_type).feed()
        if issubclass(route, WebSocketEndpoint):
            app._include_websocket(route(feed))
        else:
            app._include_endpoint(route(feed))

    error = wire(include)
    assert error is not None
    assert re.search(message, str(error)), str(error)


def test_jero_imports_without_the_broker_clients_and_names_the_extra() -> None:
    """`redis` and `asyncpg` are optional extras: importing jero never needs them."""
    code = (
        "import sys\n"
        "sys.modules['redis'] = sys.modules['asyncpg'] = None\n"
        "import jero\n"
        "for backend, url in ((jero.RedisBackend, 'redis://x'), "
        "(jero.PostgresBackend, 'postgresql://x')):\n"
        "    try:\n"
        "        backend(url)\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == [
        "RedisBackend needs redis-py: install jero[redis]",
        "PostgresBackend needs asyncpg: install jero[postgres]",
    ]


def test_closing_the_hub_ends_its_subscriptions_and_forwarders_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> list[Tick]:
        async with Channels() as channels:
            ticks = channels.channel("ticks", Tick)
            subscription = ticks.subscribe()
            await subscription.__aenter__()
            await ticks.publish(Tick(1))
        return [item async for item in subscription]  # buffered items, then the end

    assert run(main) == [Tick(1)]
    with TestClient(FeedApp()) as client, client.websocket_connect("/feed") as ws:
        client.post("/ticks", json={"n": 1})
        assert ws.receive(Tick) == Tick(1)
    # The socket closed, `disconnect` closed its subscription, the hub closed with the
    # app: no forwarder failed, nothing was logged.
    assert [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []


def test_a_key_is_one_line() -> None:
    async def main() -> None:
        async with Channels() as channels:
            ticks = channels.channel("ticks", Tick)
            with pytest.raises(ValueError, match="a channel key is a str without line breaks"):
                await ticks.publish(Tick(1), key="a\nb")
            with pytest.raises(ValueError, match="a channel key is a str without line breaks"):
                ticks.subscribe("a\nb")

    run(main)
