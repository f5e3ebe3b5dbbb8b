"""Sockets and apps shared by the WebSocket tests."""

from __future__ import annotations

from typing import Any

import msgspec

from jero import BaseApp, WebSocket, WebSocketEndpoint, WebSocketLimits


class Say(msgspec.Struct):
    text: str


class Said(msgspec.Struct):
    text: str
    n: int


class EchoSocket(WebSocketEndpoint, path="/echo"):
    """Answers each `Say` with a `Said` numbered from 1, and records its life."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.count = 0

    async def connect(self, socket: WebSocket[Said]) -> None:
        self.events.append("connect")

    async def receive(self, message: Say, socket: WebSocket[Said]) -> None:
        self.count += 1
        self.events.append(f"receive {message.text}")
        await socket.send(Said(message.text, self.count))

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        self.events.append(f"disconnect {code}")


def socket_app(
    *sockets: WebSocketEndpoint, auth: object | None = None, limits: WebSocketLimits | None = None
) -> BaseApp:
    """An app whose `_wire` includes `sockets`, each with the same `auth` and `limits`."""

    class App(BaseApp):
        async def _wire(self) -> None:
            for socket in sockets:
                self._include_websocket(socket, auth=auth, limits=limits)

    return App()


def plain(value: Any) -> Any:
    return msgspec.to_builtins(value)
