"""Every way a socket ends runs its teardown exactly once, with the close code that
ended it: the client closing, the server closing, limits, errors, and app shutdown
(open sockets close with 1001 before the app's services close)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
import pytest

from jero import BaseApp, WebSocket, WebSocketEndpoint, WebSocketLimits
from jero.testing import AsyncTestClient, TestClient, WebSocketClosed, WebSocketDenied
from tests.websocket_apps import EchoSocket, Said, Say, socket_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder(WebSocketEndpoint, path="/slow"):
    """`receive` waits for `release` before it answers; everything is recorded."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.release = anyio.Event()
        self.entered = anyio.Event()

    async def receive(self, message: Say, socket: WebSocket[Said]) -> None:
        self.log.append(f"receive {message.text}")
        self.entered.set()
        try:
            if message.text == "wait":
                await self.release.wait()
        except anyio.get_cancelled_exc_class():
            self.log.append("receive cancelled")
            raise
        sent = await socket.send(Said(message.text, 0))
        self.log.append(f"sent {message.text} {sent}")

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        after = await socket.send(Said("too late", 0))
        self.log.append(f"disconnect {code} send={after}")


async def test_client_close_runs_disconnect_with_the_clients_code() -> None:
    echo = EchoSocket()
    async with AsyncTestClient(socket_app(echo)) as client:
        async with client.websocket_connect("/echo") as ws:
            await ws.send(Say("one"))
            assert (await ws.receive(Said)).n == 1
            await ws.close(4321)
        assert echo.events == ["connect", "receive one", "disconnect 4321"]


async def test_messages_received_before_the_client_closed_are_still_handled() -> None:
    log: list[str] = []
    async with (
        AsyncTestClient(socket_app(Recorder(log))) as client,
        client.websocket_connect("/slow") as ws,
    ):
        for text in ("a", "b", "c"):
            await ws.send(Say(text))
        await ws.close(1000)
    assert [e for e in log if e.startswith("receive")] == ["receive a", "receive b", "receive c"]
    assert log[-1] == "disconnect 1000 send=False"


async def test_a_message_over_the_size_limit_closes_with_1009() -> None:
    echo = EchoSocket()
    app = socket_app(echo, limits=WebSocketLimits(max_message_size=64))
    async with AsyncTestClient(app) as client, client.websocket_connect("/echo") as ws:
        await ws.send(Say("x" * 40))  # 51 bytes of JSON: fits
        assert (await ws.receive(Said)).text == "x" * 40
        await ws.send_text('{"text": "' + "é" * 30 + '"}')  # 30 characters, 72 bytes
        with pytest.raises(WebSocketClosed) as closed:
            await ws.receive(Said)
    assert (closed.value.code, closed.value.reason) == (1009, "a message is limited to 64 bytes")
    assert echo.events[-1] == "disconnect 1009"


async def test_a_client_running_ahead_of_its_handler_closes_with_1009() -> None:
    log: list[str] = []
    slow = Recorder(log)
    app = socket_app(slow, limits=WebSocketLimits(max_queued_messages=2))
    async with AsyncTestClient(app) as client, client.websocket_connect("/slow") as ws:
        await ws.send(Say("wait"))
        await slow.entered.wait()  # the handler holds the first message
        for n in range(3):  # two fit the queue, the third does not
            await ws.send(Say(f"queued {n}"))
        with pytest.raises(WebSocketClosed) as closed:
            await ws.receive(Said)
        assert closed.value.code == 1009
        assert closed.value.reason == "more than 2 messages are waiting to be handled"
        # The handler in flight is not cancelled: it finishes, then the session ends
        # without handling what was queued.
        slow.release.set()
    assert log == ["receive wait", "sent wait False", "disconnect 1009 send=False"]


class Service:
    """A service on the app's lifecycle stack that records when it closes."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[Service]:
        self.log.append("service open")
        try:
            yield self
        finally:
            self.log.append("service closed")


def app_with_service(log: list[str], socket: WebSocketEndpoint) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            await self._aenter(Service(log).open())
            self._include_websocket(socket)

    return App()


async def test_shutdown_closes_open_sockets_with_1001_before_services_close() -> None:
    log: list[str] = []
    async with AsyncTestClient(app_with_service(log, Recorder(log))) as client:
        ws = await client.websocket_connect("/slow").__aenter__()
        await ws.send(Say("hello"))
        assert (await ws.receive(Said)).text == "hello"
    # Leaving the client ran the app's shutdown with the socket still open.
    with pytest.raises(WebSocketClosed) as closed:
        await ws.receive(Said)
    assert (closed.value.code, closed.value.reason) == (1001, "the server is shutting down")
    assert log == [
        "service open",
        "receive hello",
        "sent hello True",
        "disconnect 1001 send=False",
        "service closed",
    ]


async def test_shutdown_cancels_a_handler_in_flight_then_runs_disconnect() -> None:
    log: list[str] = []
    slow = Recorder(log)
    async with AsyncTestClient(app_with_service(log, slow)) as client:
        ws = await client.websocket_connect("/slow").__aenter__()
        await ws.send(Say("wait"))
        await slow.entered.wait()
    with pytest.raises(WebSocketClosed) as closed:
        await ws.receive(Said)
    assert closed.value.code == 1001
    assert log == [
        "service open",
        "receive wait",
        "receive cancelled",
        "disconnect 1001 send=False",
        "service closed",
    ]


class FailingTeardown(WebSocketEndpoint, path="/failing"):
    async def receive(self, message: Say, socket: WebSocket[Said]) -> None:
        await socket.send(Said(message.text, 0))

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        raise RuntimeError("teardown broke")


def test_a_failing_disconnect_is_logged_and_the_app_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        TestClient(socket_app(FailingTeardown())) as client,
        caplog.at_level(logging.ERROR, "jero"),
    ):
        for _ in range(2):
            with client.websocket_connect("/failing") as ws:
                ws.send(Say("x"))
                assert ws.receive(Said).text == "x"
    failures = [r for r in caplog.records if "FailingTeardown.disconnect" in r.getMessage()]
    assert len(failures) == 2


class Refusing(WebSocketEndpoint, path="/refusing"):
    def __init__(self) -> None:
        self.log: list[str] = []

    async def connect(self, socket: WebSocket[Said]) -> None:
        self.log.append("connect")
        await socket.close(4004, "go away")

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        self.log.append(f"disconnect {code}")


def test_connect_may_close_the_socket_itself() -> None:
    refusing = Refusing()
    with (
        TestClient(socket_app(refusing)) as client,
        client.websocket_connect("/refusing") as ws,
        pytest.raises(WebSocketClosed) as closed,
    ):
        ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (4004, "go away")
    assert refusing.log == ["connect", "disconnect 4004"]


def test_a_refused_handshake_runs_no_disconnect() -> None:
    class Rejecting(EchoSocket, path="/rejecting"):
        async def connect(self, socket: WebSocket[Said]) -> None:
            self.events.append("connect")
            raise PermissionError("no")

    rejecting = Rejecting()
    with TestClient(socket_app(rejecting)) as client, pytest.raises(WebSocketDenied) as refused:
        client.websocket_connect("/rejecting").__enter__()
    assert refused.value.status == 500
    assert rejecting.events == ["connect"]


async def test_sending_to_a_closed_socket_returns_false_so_broadcasts_need_no_guard() -> None:
    sockets: list[WebSocket[Said]] = []

    class Keeper(WebSocketEndpoint, path="/keep"):
        async def connect(self, socket: WebSocket[Said]) -> None:
            sockets.append(socket)

    async with AsyncTestClient(socket_app(Keeper())) as client:
        async with client.websocket_connect("/keep") as ws:
            assert await sockets[0].send(Said("live", 0)) is True
            assert await ws.receive(Said) == Said("live", 0)
        (socket,) = sockets
        assert socket.closed and socket.close_code == 1000
        assert await socket.send(Said("late", 0)) is False
