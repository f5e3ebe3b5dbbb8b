"""Every mistake in a `WebSocketEndpoint` fails the boot with a `WiringError` naming
the class, the hook, the parameter and the fix."""

from __future__ import annotations

import msgspec
import pytest

from jero import BaseApp, BearerAuth, WebSocket, WebSocketEndpoint, WebSocketLimits, WiringError
from tests.routes_app import wiring_error_of
from tests.websocket_apps import EchoSocket, Said, Say, socket_app


class Room(msgspec.Struct):
    room_id: str


class OtherRoom(msgspec.Struct):
    room_id: int


class A(msgspec.Struct):
    x: int


class B(msgspec.Struct):
    y: int


class Named(msgspec.Struct):
    name: str


class User(msgspec.Struct):
    name: str


class Auth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        return User(token)


def fails(socket: object, match: str, *names: str, auth: object | None = None) -> None:
    message = wiring_error_of(socket_app(socket, auth=auth), match)  # type: ignore[arg-type]
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"


class SyncHook(WebSocketEndpoint, path="/ws"):
    def receive(self, message: Say, socket: WebSocket[Said]) -> None: ...


class Unknown(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: Say, body: Say) -> None: ...


class BodySource(WebSocketEndpoint, path="/ws"):
    async def connect(self, json: Say) -> None: ...


class Unannotated(WebSocketEndpoint, path="/ws"):
    async def receive(self, message, socket: WebSocket[Said]) -> None: ...  # type: ignore[no-untyped-def]


class NoMessage(WebSocketEndpoint, path="/ws"):
    async def receive(self, socket: WebSocket[Said]) -> None: ...


class MessageOnConnect(WebSocketEndpoint, path="/ws"):
    async def connect(self, message: Say) -> None: ...


class Untagged(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: A | B) -> None: ...


class DictMessage(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: dict[str, int]) -> None: ...


class BareSocket(WebSocketEndpoint, path="/ws"):
    async def connect(self, socket: WebSocket) -> None: ...  # type: ignore[type-arg]


class WrongSocket(WebSocketEndpoint, path="/ws"):
    async def connect(self, socket: Said) -> None: ...


class TwoOuts(WebSocketEndpoint, path="/ws"):
    async def connect(self, socket: WebSocket[Said]) -> None: ...
    async def receive(self, message: Say, socket: WebSocket[Say]) -> None: ...


class TwoPaths(WebSocketEndpoint, path="/rooms/{room_id}"):
    async def connect(self, path: Room) -> None: ...
    async def receive(self, message: Say, path: OtherRoom) -> None: ...


class BadCode(WebSocketEndpoint, path="/ws"):
    async def disconnect(self, code: str) -> None: ...


class Returns(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: Say) -> Said: ...  # type: ignore[empty-body]


class PublicHelper(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: Say) -> None: ...
    async def broadcast(self) -> None: ...


class NoPath(WebSocketEndpoint):
    async def receive(self, message: Say) -> None: ...


class NoHooks(WebSocketEndpoint, path="/ws"):
    pass


class SlotsWithoutPath(WebSocketEndpoint, path="/rooms/{room_id}"):
    async def receive(self, message: Say) -> None: ...


class PathMissingSlot(WebSocketEndpoint, path="/rooms/{room_id}"):
    async def connect(self, path: A) -> None: ...


class WantsUser(WebSocketEndpoint, path="/ws"):
    async def connect(self, user: User) -> None: ...


class WrongUser(WebSocketEndpoint, path="/ws"):
    async def connect(self, user: Room) -> None: ...


class Unresolvable(WebSocketEndpoint, path="/ws"):
    async def receive(self, message: Missing) -> None: ...  # type: ignore[name-defined]  # noqa: F821


@pytest.mark.parametrize(
    ("socket", "match", "names"),
    [
        (SyncHook(), "must be `async def`", ["SyncHook.receive", "anyio.to_thread.run_sync"]),
        (Unknown(), "parameter `body` cannot be bound", ["Unknown.receive", "message", "path"]),
        (BodySource(), "has no body", ["BodySource.connect", "`json`", "receive(self, message"]),
        (Unannotated(), "has no annotation", ["Unannotated.receive", "`message`"]),
        (NoMessage(), "must take `message`", ["NoMessage.receive", "message: In"]),
        (MessageOnConnect(), "parameter `message` cannot", ["MessageOnConnect.connect"]),
        (Untagged(), "give each Struct of the union a tag", ["Untagged.receive", "`message`"]),
        (DictMessage(), "a WebSocket message is a msgspec Struct", ["DictMessage.receive"]),
        (BareSocket(), "say what it sends", ["BareSocket.connect", "`socket`", "WebSocket[Out]"]),
        (WrongSocket(), "must be annotated `WebSocket\\[Out\\]`", ["WrongSocket.connect"]),
        (TwoOuts(), "one socket sends one type", ["TwoOuts.receive", "TwoOuts.connect"]),
        (TwoPaths(), "annotate both alike", ["TwoPaths.receive", "`path`", "TwoPaths.connect"]),
        (BadCode(), "annotate it `int`", ["BadCode.disconnect", "`code`"]),
        (Returns(), "hooks return None", ["Returns.receive", "socket.send"]),
        (PublicHelper(), "is not a hook", ["PublicHelper.broadcast", "_broadcast"]),
        (NoPath(), "has no path", ["NoPath", 'path="/..."']),
        (NoHooks(), "defines no hook", ["NoHooks", "connect, receive, disconnect"]),
        (SlotsWithoutPath(), "has slots", ["SlotsWithoutPath", "`path`", "room_id"]),
        (PathMissingSlot(), "lacks a field for the slot", ["PathMissingSlot.connect", "`path`"]),
        (WantsUser(), "included without an authenticator", ["WantsUser.connect", "`user`"]),
        (Unresolvable(), "cannot resolve", ["Unresolvable.receive", "Missing"]),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, WebSocketEndpoint) else None,
)
def test_each_mistake_is_a_wiring_error(socket: object, match: str, names: list[str]) -> None:
    fails(socket, match, *names)


def test_the_user_annotation_must_match_the_authenticator() -> None:
    fails(WrongUser(), "annotate `user: User`", "WrongUser.connect", auth=Auth())


def test_two_sockets_on_the_same_path_shape_clash() -> None:
    class First(WebSocketEndpoint, path="/rooms/{room_id}"):
        async def connect(self, path: Room) -> None: ...

    class Second(WebSocketEndpoint, path="/rooms/{name}"):
        async def connect(self, path: Named) -> None: ...

    app = socket_app(First(), Second())
    message = wiring_error_of(app, "clashes with")
    assert "First" in message and "Second" in message


def test_only_websocket_endpoints_may_be_included_and_only_inside_wire() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_websocket(object())  # type: ignore[arg-type]

    assert "is not a WebSocketEndpoint; subclass it" in wiring_error_of(App())
    with pytest.raises(WiringError, match=r"_include_[a-z]+ belongs inside _wire"):
        BaseApp()._include_websocket(EchoSocket())


def test_bad_class_options_and_limits_fail_at_once() -> None:
    with pytest.raises(WiringError, match="encoding='xml'"):

        class Xml(WebSocketEndpoint, path="/x", encoding="xml"):  # type: ignore[arg-type]
            pass

    with pytest.raises(WiringError, match="max_queued_messages = 0"):
        WebSocketLimits(max_queued_messages=0)
