"""Apps the `jero` command is pointed at by the CLI tests (as tests.cli_apps:...)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from msgspec import Struct

from jero import BaseApp, Endpoint, NoContent, Resource, WebSocket, WebSocketEndpoint


class User(Struct):
    name: str


class ApiKey(Struct):
    x_api_key: str


class ApiKeyAuth:
    async def authenticate(self, headers: ApiKey) -> User:
        return User(headers.x_api_key)


class MaybeApiKey(Struct):
    x_api_key: str | None = None


class OptionalApiKeyAuth:
    async def authenticate(self, headers: MaybeApiKey) -> User | None:
        return None if headers.x_api_key is None else User(headers.x_api_key)


class WidgetPath(Struct):
    widget_id: str


class Widget(Struct):
    id: str
    name: str


class WidgetResource(Resource, path="/widgets"):
    async def create(self, json: Widget) -> Widget:
        return json

    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(id=path.widget_id, name="widget-name")

    async def delete(self, path: WidgetPath) -> Widget | NoContent:
        return NoContent()


class MeEndpoint(Endpoint, path="/me"):
    async def get(self, user: User) -> User:
        return user


class GreetingEndpoint(Endpoint, path="/greeting"):
    async def get(self, user: User | None) -> str:
        return "hello" if user is None else f"hello {user.name}"


class LoopEndpoint(Endpoint, path="/loop"):
    """Which event loop and which process serve the request."""

    async def get(self) -> str:
        return f"{type(asyncio.get_running_loop()).__module__} {os.getpid()}"


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(WidgetResource())
        self._include_endpoint(MeEndpoint(), auth=ApiKeyAuth())
        self._include_endpoint(GreetingEndpoint(), auth=OptionalApiKeyAuth())
        self._include_endpoint(LoopEndpoint())
        self._include_openapi(title="CLI test app", version="1.2.3")


app = App()


def create_app() -> App:
    return App()


class BareApp(BaseApp):
    """No OpenAPI: `jero openapi` has nothing to export."""

    async def _wire(self) -> None:
        self._include_resource(WidgetResource())


bare_app = BareApp()


class SyncHandlerEndpoint(Endpoint, path="/sync"):
    def get(self) -> str:  # not async: a WiringError
        return "sync"


class UnannotatedEndpoint(Endpoint, path="/unannotated"):
    async def get(self):  # no return annotation: a WiringError
        return "unannotated"


class BrokenApp(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(SyncHandlerEndpoint())
        self._include_resource(WidgetResource())
        self._include_endpoint(UnannotatedEndpoint())


broken_app = BrokenApp()


class CrashingApp(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(WidgetResource())
        raise RuntimeError("the database is not there")


crashing_app = CrashingApp()


class Passthrough:
    """A plain ASGI middleware: an app wrapped in one only speaks ASGI."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


wrapped_app = Passthrough(App())


def create_unannotated():
    return App()


class Echo(Struct):
    text: str


class EchoSocket(WebSocketEndpoint, path="/echo"):
    async def receive(self, message: Echo, socket: WebSocket[Echo]) -> None:
        await socket.send(message)


class SocketApp(App):
    """Serves a WebSocket: on RSGI its worker warns that close codes are lost."""

    async def _wire(self) -> None:
        await super()._wire()
        self._include_websocket(EchoSocket())


socket_app = SocketApp()


not_an_app = 42
