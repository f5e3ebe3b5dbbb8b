"""The error format reaches the answers given outside handlers: WebSocket denials, static
files, middleware that raises, and answers before the app is ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from jero import (
    ASGIApp,
    BaseApp,
    BearerAuth,
    Endpoint,
    ForbiddenError,
    RouteInfo,
    WebSocket,
    WebSocketEndpoint,
)
from jero.testing import TestClient, WebSocketDenied
from tests.errors_format.errors_format_support import SpecFormat


class User(msgspec.Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        if token != "good":
            raise ForbiddenError()
        return User("ana")


class Private(WebSocketEndpoint, path="/private"):
    async def connect(self, user: User, socket: WebSocket[User]) -> None:
        await socket.send(user)


class Refusing:
    """Middleware that refuses every request by raising."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.path != "/guarded":
            return app

        async def refuse(scope: Any, receive: Any, send: Any) -> None:
            raise ForbiddenError()

        return refuse


class Guarded(Endpoint, path="/guarded"):
    async def get(self) -> str:
        return "never"


def app_with(site: Path) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_websocket(Private(), auth=TokenAuth())
            self._include_static("/assets", directory=site)
            self._include_endpoint(Guarded(), middleware=[Refusing()])

    return App(error_format=SpecFormat())


@pytest.fixture
def client(tmp_path: Path) -> Any:
    (tmp_path / "a.txt").write_text("a")
    with TestClient(app_with(tmp_path)) as client:
        yield client


def test_websocket_denials_are_in_the_format(client: TestClient) -> None:
    with client.websocket_connect("/private", headers={"Authorization": "Bearer good"}) as ws:
        assert ws.receive(User) == User("ana")
    with pytest.raises(WebSocketDenied) as wrong:
        client.websocket_connect("/private", headers={"Authorization": "Bearer bad"}).__enter__()
    assert wrong.value.status == 403
    assert wrong.value.headers["content-type"] == "application/json"
    assert wrong.value.json() == {"errors": {"body": ["Forbidden"]}}
    with pytest.raises(WebSocketDenied) as nowhere:
        client.websocket_connect("/nowhere").__enter__()
    assert (nowhere.value.status, nowhere.value.json()) == (
        404,
        {"errors": {"body": ["Not found"]}},
    )


def test_static_files_answer_in_the_format(client: TestClient) -> None:
    assert client.get("/assets/a.txt").text == "a"
    missing = client.get("/assets/b.txt")
    assert (missing.status_code, missing.json()) == (404, {"errors": {"body": ["Not found"]}})
    assert missing.headers["content-type"] == "application/json"


def test_an_error_raised_by_middleware_is_in_the_format(client: TestClient) -> None:
    refused = client.get("/guarded")
    assert (refused.status_code, refused.json()) == (403, {"errors": {"body": ["Forbidden"]}})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_requests_before_startup_are_in_the_format(tmp_path: Path) -> None:
    app = app_with(tmp_path)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/guarded",
        "headers": [],
        "query_string": b"",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 503
    assert sent[1]["body"] == b'{"errors":{"body":["Service unavailable"]}}'
