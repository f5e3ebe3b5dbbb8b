"""WebSocket refusals and slow consumers."""

from __future__ import annotations

import anyio

from jero import BaseApp, WebSocket, WebSocketEndpoint
from jero._asgi import Message


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
