"""An app for tests/servers/test_websockets_granian.py, served by a real granian process.

Sockets record their life in the file named by $JERO_WS_MARKER, one line per step, so
the test process can observe teardown that happens inside the server.
"""

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from msgspec import Struct

from jero import (
    BaseApp,
    BearerAuth,
    Endpoint,
    ForbiddenError,
    WebSocket,
    WebSocketEndpoint,
    WebSocketLimits,
)


class Say(Struct):
    text: str


class Said(Struct):
    text: str
    n: int


class User(Struct):
    name: str


class Health(Struct):
    ok: bool


def mark(line: str) -> None:
    with Path(os.environ["JERO_WS_MARKER"]).open("a") as marker:
        marker.write(line + "\n")


class EchoSocket(WebSocketEndpoint, path="/echo"):
    async def connect(self, socket: WebSocket[Said]) -> None:
        mark("connect echo")

    async def receive(self, message: Say, socket: WebSocket[Said]) -> None:
        await socket.send(Said(message.text, len(message.text)))

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        mark(f"disconnect echo {code}")


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        if token != "secret":
            raise ForbiddenError()
        return User("ana")


class WhoAmI(WebSocketEndpoint, path="/me"):
    async def connect(self, user: User, socket: WebSocket[User]) -> None:
        await socket.send(user)


class HealthEndpoint(Endpoint, path="/health"):
    async def get(self) -> Health:
        return Health(True)


@contextlib.asynccontextmanager
async def service() -> AsyncIterator[None]:
    try:
        yield
    finally:
        mark("service closed")


class App(BaseApp):
    async def _wire(self) -> None:
        await self._aenter(service())
        self._include_endpoint(HealthEndpoint())
        self._include_websocket(EchoSocket(), limits=WebSocketLimits(max_message_size=1024))
        self._include_websocket(WhoAmI(), auth=TokenAuth())


app = App()
