"""WebSocket refusals and slow consumers."""

from __future__ import annotations

import anyio

from jero import BaseApp, WebSocket, WebSocketEndpoint, WebSocketLimits
from jero._asgi import Message
from tests.asgi_driver import running


class Echo(WebSocketEndpoint, path="/echo"):
    async def receive(self, message: str, socket: WebSocket[str]) -> None:
        await socket.send(message)


class EchoApp(BaseApp):
    async def _wire(self) -> None:
        self._include_websocket(Echo())


def websocket_scope(path: str) -> dict[str, object]:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "subprotocols": [],
    }


def test_a_socket_before_wiring_without_the_denial_extension_closes_1008_with_a_reason() -> None:
    sent: list[Message] = []

    async def run() -> None:
        async def receive() -> Message:
            return {"type": "websocket.connect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await EchoApp()(websocket_scope("/echo"), receive, send)  # no lifespan: not wired

    anyio.run(run)
    closes = [message for message in sent if message["type"] == "websocket.close"]
    assert len(closes) == 1
    assert closes[0]["code"] == 1008
    assert closes[0]["reason"] == "service-unavailable"


# --- slow consumers and queued bytes -------------------------------------------------


class Room:
    def __init__(self) -> None:
        self.members: list[WebSocket[str]] = []
        self.delivered: list[bool] = []
        self.gate = anyio.Event()


class RoomSocket(WebSocketEndpoint, path="/room"):
    def __init__(self, room: Room) -> None:
        self.room = room

    async def connect(self, socket: WebSocket[str]) -> None:
        self.room.members.append(socket)

    async def receive(self, message: str, socket: WebSocket[str]) -> None:
        if message == "wait":
            await self.room.gate.wait()
        for member in self.room.members:
            self.room.delivered.append(await member.send(message))


def room_app(room: Room, limits: WebSocketLimits) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_websocket(RoomSocket(room), limits=limits)

    return App()


def test_a_send_the_server_never_takes_times_out_and_closes_that_socket_1008() -> None:
    room = Room()
    app = room_app(room, WebSocketLimits(send_timeout=0.05))
    sent: list[Message] = []

    async def run() -> None:
        inbox = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"}]

        async def receive() -> Message:
            if inbox:
                return inbox.pop(0)
            await anyio.sleep_forever()
            raise AssertionError

        async def send(message: Message) -> None:  # a client that never reads
            sent.append(message)
            if message["type"] == "websocket.send":
                await anyio.sleep_forever()

        async with running(app):
            with anyio.fail_after(5):  # a hang guard
                await app(websocket_scope("/room"), receive, send)

    anyio.run(run)
    assert room.delivered == [False]
    closes = [message for message in sent if message["type"] == "websocket.close"]
    assert [(close["code"], close["reason"]) for close in closes] == [
        (1008, "the client did not take a message within 0.05 seconds")
    ]


def test_messages_waiting_past_max_queued_bytes_close_1009_and_are_released() -> None:
    room = Room()
    app = room_app(room, WebSocketLimits(max_queued_bytes=2_500))
    sent: list[Message] = []

    async def run() -> None:
        inbox: list[Message] = [{"type": "websocket.connect"}]
        inbox.append({"type": "websocket.receive", "text": "wait"})
        inbox += [{"type": "websocket.receive", "text": "x" * 1_000} for _ in range(5)]

        async def receive() -> Message:
            if inbox:
                return inbox.pop(0)
            await anyio.sleep_forever()
            raise AssertionError

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "websocket.close":
                room.gate.set()  # the handler that was running finishes

        async with running(app):
            with anyio.fail_after(5):
                await app(websocket_scope("/room"), receive, send)

    anyio.run(run)
    closes = [message for message in sent if message["type"] == "websocket.close"]
    assert [(close["code"], close["reason"]) for close in closes] == [
        (1009, "more than 2500 bytes of messages are waiting to be handled")
    ]
    assert room.delivered == []  # closed by the server: what was queued is dropped


def test_the_slow_consumer_defaults() -> None:
    limits = WebSocketLimits()
    assert (limits.send_timeout, limits.max_queued_bytes) == (10.0, 4 * 1024 * 1024)
