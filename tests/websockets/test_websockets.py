"""Typed WebSockets in process: handshake binding, auth, codecs, close codes.

Each test drives a real app through `TestClient.websocket_connect`, whose scope (like
granian's) advertises the `websocket.http.response` denial extension unless a test
turns it off.
"""

from __future__ import annotations

import logging
from typing import Literal

import msgspec
import pytest

from jero import (
    BaseApp,
    BearerAuth,
    Endpoint,
    ForbiddenError,
    NotFoundError,
    WebSocket,
    WebSocketEndpoint,
)
from jero.testing import AsyncTestClient, TestClient, WebSocketClosed, WebSocketDenied
from tests.websocket_apps import EchoSocket, Said, Say, socket_app

# --- the basics ----------------------------------------------------------------------


def test_echo_round_trips_typed_messages_and_runs_every_hook_once() -> None:
    echo = EchoSocket()
    with TestClient(socket_app(echo)) as client:
        with client.websocket_connect("/echo") as ws:
            ws.send(Say("hi"))
            assert ws.receive(Said) == Said("hi", 1)
            ws.send_json({"text": "again"})
            assert ws.receive_json() == {"text": "again", "n": 2}
        assert echo.events == ["connect", "receive hi", "receive again", "disconnect 1000"]


def test_text_frames_carry_json_and_binary_frames_messagepack() -> None:
    echo = EchoSocket()
    with TestClient(socket_app(echo)) as client, client.websocket_connect("/echo") as ws:
        ws.send(Say("packed"), binary=True)
        # The socket's encoding is JSON: the answer is a text frame whatever came in.
        assert ws.receive_text() == '{"text":"packed","n":1}'
        ws.send_bytes(msgspec.msgpack.encode({"text": "raw"}))
        assert ws.receive(Said) == Said("raw", 2)


class Room(msgspec.Struct):
    room_id: str


class Join(msgspec.Struct, tag="join"):
    nick: str


class Post(msgspec.Struct, tag="post"):
    text: str


class Joined(msgspec.Struct, tag="joined"):
    room: str
    nick: str


class Posted(msgspec.Struct, tag="posted"):
    room: str
    text: str


class Page(msgspec.Struct):
    lang: str = "en"


class Client(msgspec.Struct):
    x_client: str


class Prefs(msgspec.Struct):
    theme: str = "light"


class RoomSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws", encoding="msgpack"):
    """Tagged unions both ways, MessagePack out, every handshake source bound once."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    async def connect(
        self,
        path: Room,
        params: Page,
        headers: Client,
        cookies: Prefs,
        socket: WebSocket[Joined | Posted],
    ) -> None:
        if path.room_id == "closed":
            raise NotFoundError()
        self.seen.append((path.room_id, params.lang, headers.x_client, cookies.theme))

    async def receive(
        self, message: Join | Post, path: Room, socket: WebSocket[Joined | Posted]
    ) -> None:
        match message:
            case Join(nick=nick):
                await socket.send(Joined(path.room_id, nick))
            case Post(text=text):
                await socket.send(Posted(path.room_id, text))


def test_handshake_sources_bind_and_tagged_unions_dispatch_by_tag() -> None:
    room = RoomSocket()
    with TestClient(socket_app(room)) as client:
        with client.websocket_connect(
            "/rooms/lobby/ws?lang=fr", headers={"X-Client": "cli"}, cookies={"theme": "dark"}
        ) as ws:
            ws.send_json({"type": "join", "nick": "ana"})
            joined = ws.receive_bytes()  # encoding="msgpack": binary frames
            assert msgspec.msgpack.decode(joined) == {
                "type": "joined",
                "room": "lobby",
                "nick": "ana",
            }
            ws.send(Post("hello"), binary=True)
            assert ws.receive(Joined | Posted) == Posted("lobby", "hello")
        assert room.seen == [("lobby", "fr", "cli", "dark")]


def test_a_bad_handshake_value_is_refused_with_its_problem() -> None:
    with TestClient(socket_app(RoomSocket())) as client:
        with pytest.raises(WebSocketDenied) as missing:
            client.websocket_connect("/rooms/lobby/ws").__enter__()  # no X-Client header
        assert missing.value.status == 400
        assert missing.value.headers["content-type"] == "application/problem+json"
        assert missing.value.json()["type"] == "malformed-request"
        assert "x_client" in missing.value.json()["detail"]
        with pytest.raises(WebSocketDenied) as refused:
            client.websocket_connect("/rooms/closed/ws", headers={"X-Client": "c"}).__enter__()
        assert refused.value.status == 404


class Raw(WebSocketEndpoint, path="/raw"):
    async def receive(self, message: bytes, socket: WebSocket[bytes]) -> None:
        await socket.send(message[::-1])


class Shout(WebSocketEndpoint, path="/shout"):
    async def receive(self, message: str, socket: WebSocket[str]) -> None:
        await socket.send(message.upper())


def test_bytes_and_str_messages_travel_as_they_are() -> None:
    with TestClient(socket_app(Raw(), Shout())) as client:
        with client.websocket_connect("/raw") as ws:
            ws.send_bytes(b"\x00\x01\xff")
            assert ws.receive_bytes() == b"\xff\x01\x00"
        with client.websocket_connect("/shout") as ws:
            ws.send_text("hey")
            assert ws.receive_text() == "HEY"


def test_the_wrong_frame_kind_for_raw_messages_closes_with_1003() -> None:
    with TestClient(socket_app(Raw())) as client, client.websocket_connect("/raw") as ws:
        ws.send_text("text for a bytes socket")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive_bytes()
        assert (closed.value.code, closed.value.reason) == (1003, "this socket takes binary frames")


# --- decoding failures: 1007 with msgspec's reason -------------------------------------


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("text", "JSON is malformed: invalid character (byte 0)"),
        ("schema", "Object missing required field `text`"),
        ("binary", "MessagePack data is malformed: invalid opcode '\\xc1' (byte 0)"),
    ],
)
def test_a_message_that_fails_the_type_closes_with_1007_and_the_reason(
    frame: Literal["text", "schema", "binary"], reason: str
) -> None:
    echo = EchoSocket()
    with TestClient(socket_app(echo)) as client, client.websocket_connect("/echo") as ws:
        if frame == "text":
            ws.send_text("?nope")
        elif frame == "schema":
            ws.send_json({"txt": "x"})
        else:
            ws.send_bytes(b"\xc1")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (1007, reason)
    assert echo.events == ["connect", "disconnect 1007"]


class Pick(msgspec.Struct):
    colour: Literal["red", "blue"]


class Picker(WebSocketEndpoint, path="/pick"):
    async def receive(self, message: Pick, socket: WebSocket[Pick]) -> None:
        await socket.send(message)


def test_a_bad_enum_value_is_not_echoed_in_the_close_reason() -> None:
    with TestClient(socket_app(Picker())) as client, client.websocket_connect("/pick") as ws:
        ws.send_json({"colour": "secret-value"})
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive_json()
    assert closed.value.code == 1007
    assert "secret-value" not in closed.value.reason
    assert "$.colour" in closed.value.reason


class Deep(msgspec.Struct):
    value: int


class Deeper(msgspec.Struct, rename={"items": "a" * 120}):
    items: list[Deep]


class DeepSocket(WebSocketEndpoint, path="/deep"):
    async def receive(self, message: Deeper, socket: WebSocket[Deeper]) -> None:
        await socket.send(message)


def test_a_long_reason_is_cut_to_what_a_close_frame_carries() -> None:
    bad = {"a" * 120: [{"value": 1}] * 5 + [{"value": "x"}]}
    with TestClient(socket_app(DeepSocket())) as client, client.websocket_connect("/deep") as ws:
        ws.send_json(bad)
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive_json()
    assert closed.value.code == 1007
    assert len(closed.value.reason.encode()) == 123
    assert closed.value.reason.startswith("Expected `int`, got `str`")


# --- errors in hooks ---------------------------------------------------------------------


class Strict(WebSocketEndpoint, path="/strict"):
    def __init__(self) -> None:
        self.codes: list[int] = []

    async def receive(self, message: Say, socket: WebSocket[Said]) -> None:
        if message.text == "forbidden":
            raise ForbiddenError()
        if message.text == "crash":
            raise RuntimeError("boom")
        if message.text == "bye":
            await socket.close(4000, "see you")
            return
        await socket.send(Said(message.text, 0))

    async def disconnect(self, socket: WebSocket[Said], code: int) -> None:
        self.codes.append(code)


def test_an_http_error_in_receive_closes_with_4000_plus_status() -> None:
    strict = Strict()
    with TestClient(socket_app(strict)) as client, client.websocket_connect("/strict") as ws:
        ws.send(Say("forbidden"))
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive(Said)
    assert (closed.value.code, closed.value.reason) == (4403, "forbidden")
    assert strict.codes == [4403]


def test_a_crash_in_receive_is_logged_and_closes_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    strict = Strict()
    with TestClient(socket_app(strict)) as client:
        with (
            caplog.at_level(logging.ERROR, logger="jero"),
            client.websocket_connect("/strict") as ws,
        ):
            ws.send(Say("crash"))
            with pytest.raises(WebSocketClosed) as closed:
                ws.receive(Said)
        assert (closed.value.code, closed.value.reason) == (1011, "internal error")
        assert "boom" not in closed.value.reason
        # The app keeps serving.
        with client.websocket_connect("/strict") as ws:
            ws.send(Say("still here"))
            assert ws.receive(Said).text == "still here"
    assert strict.codes == [1011, 1000]
    record = next(r for r in caplog.records if "Strict.receive" in r.getMessage())
    assert record.exc_info is not None and str(record.exc_info[1]) == "boom"


def test_socket_close_from_a_hook_sends_its_code_and_reason() -> None:
    strict = Strict()
    with TestClient(socket_app(strict)) as client, client.websocket_connect("/strict") as ws:
        ws.send(Say("bye"))
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive(Said)
    assert (closed.value.code, closed.value.reason) == (4000, "see you")
    assert strict.codes == [4000]


# --- refusing the handshake ----------------------------------------------------------------


class User(msgspec.Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        if token != "good":
            raise ForbiddenError()
        return User("ana")


class Private(WebSocketEndpoint, path="/private"):
    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect(self, user: User, socket: WebSocket[User]) -> None:
        self.connected.append(user.name)
        await socket.send(user)


def test_auth_runs_before_accept_and_binds_the_user() -> None:
    private = Private()
    with TestClient(socket_app(private, auth=TokenAuth())) as client:
        with client.websocket_connect("/private", headers={"Authorization": "Bearer good"}) as ws:
            assert ws.receive(User) == User("ana")
        with pytest.raises(WebSocketDenied) as missing:
            client.websocket_connect("/private").__enter__()
        with pytest.raises(WebSocketDenied) as wrong:
            client.websocket_connect(
                "/private", headers={"Authorization": "Bearer bad"}
            ).__enter__()
    assert (missing.value.status, missing.value.headers["www-authenticate"]) == (401, "Bearer")
    assert missing.value.json()["type"] == "authentication-required"
    assert (wrong.value.status, wrong.value.json()["type"]) == (403, "forbidden")
    assert private.connected == ["ana"]


def test_without_the_denial_extension_a_refusal_is_accepted_then_closed_with_1008() -> None:
    private = Private()
    with (
        TestClient(socket_app(private, auth=TokenAuth())) as client,
        client.websocket_connect("/private", denial_response=False) as ws,
        pytest.raises(WebSocketClosed) as closed,
    ):
        ws.receive(User)
    assert (closed.value.code, closed.value.reason) == (1008, "authentication-required")
    assert private.connected == []


def test_a_mount_with_auth_authenticates_even_when_no_hook_takes_the_user() -> None:
    echo = EchoSocket()
    with (
        TestClient(socket_app(echo, auth=TokenAuth())) as client,
        pytest.raises(WebSocketDenied) as missing,
    ):
        client.websocket_connect("/echo").__enter__()
    assert missing.value.status == 401
    assert echo.events == []


def test_unknown_paths_are_404_and_a_crashing_connect_is_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(WebSocketEndpoint, path="/broken"):
        async def connect(self, socket: WebSocket[Said]) -> None:
            raise RuntimeError("connect failed")

    with TestClient(socket_app(Broken())) as client, caplog.at_level(logging.ERROR, "jero"):
        with pytest.raises(WebSocketDenied) as unknown:
            client.websocket_connect("/nowhere").__enter__()
        with pytest.raises(WebSocketDenied) as broken:
            client.websocket_connect("/broken").__enter__()
        with (
            client.websocket_connect("/broken", denial_response=False) as ws,
            pytest.raises(WebSocketClosed) as closed,
        ):
            ws.receive_json()
    assert (unknown.value.status, unknown.value.json()["type"]) == (404, "not-found")
    assert (broken.value.status, broken.value.json()["type"]) == (500, "internal-server-error")
    assert (closed.value.code, closed.value.reason) == (1011, "internal-server-error")
    assert any("Broken.connect" in r.getMessage() for r in caplog.records)


def test_a_server_without_the_extension_answers_unknown_paths_by_closing_1008() -> None:
    with (
        TestClient(socket_app(EchoSocket())) as client,
        client.websocket_connect("/nowhere", denial_response=False) as ws,
        pytest.raises(WebSocketClosed) as unknown,
    ):
        ws.receive(str)
    # accepted, then closed with the reason a bare 403 could not carry
    assert (unknown.value.code, unknown.value.reason) == (1008, "not-found")


# --- routing -------------------------------------------------------------------------------


class Status(msgspec.Struct):
    ok: bool


class EchoPage(Endpoint, path="/echo"):
    async def get(self) -> Status:
        return Status(True)


def test_a_socket_and_an_http_route_share_a_path() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(EchoPage())
            self._include_websocket(EchoSocket())

    with TestClient(App()) as client:
        assert client.get("/echo").json() == {"ok": True}
        with client.websocket_connect("/echo") as ws:
            ws.send(Say("x"))
            assert ws.receive(Said).n == 1


def test_root_path_is_honoured() -> None:
    with (
        TestClient(socket_app(EchoSocket()), root_path="/api") as client,
        client.websocket_connect("/echo") as ws,
    ):
        ws.send(Say("rooted"))
        assert ws.receive(Said).text == "rooted"


def test_a_socket_before_wiring_completed_is_refused_with_503() -> None:
    with (
        TestClient(socket_app(EchoSocket()), lifespan=False) as client,
        pytest.raises(WebSocketDenied) as early,
    ):
        client.websocket_connect("/echo").__enter__()
    assert (early.value.status, early.value.json()["type"]) == (503, "service-unavailable")


# --- the async client ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_speaks_websockets_too() -> None:
    echo = EchoSocket()
    async with AsyncTestClient(socket_app(echo)) as client, client.websocket_connect("/echo") as ws:
        await ws.send(Say("async"))
        assert await ws.receive(Said) == Said("async", 1)
        await ws.send_text('{"text": "t"}')
        assert await ws.receive_text() == '{"text":"t","n":2}'
        await ws.close(4001)
    assert echo.events[-1] == "disconnect 4001"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


type Spoken = Say
"""A PEP 695 alias: hooks read it as its value, as HTTP handlers do."""


class KeywordSocket(WebSocketEndpoint, path="/keywords"):
    async def receive(self, *, socket: WebSocket[Said], message: Spoken) -> None:
        await socket.send(Said(message.text, len(message.text)))


def test_keyword_only_hooks_and_aliased_messages_are_bound_by_name() -> None:
    with (
        TestClient(socket_app(KeywordSocket())) as client,
        client.websocket_connect("/keywords") as ws,
    ):
        ws.send(Say("named"))
        assert ws.receive(Said) == Said("named", 5)
