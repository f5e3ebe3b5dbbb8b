"""The RSGI adapter against stand-ins for granian's scope and protocol objects: what the
app sees (its ASGI scope, receive) and what granian is asked to do (one call per whole
answer, a stream, a file, WebSocket accept and close), without a server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from msgspec import Struct

from jero import BaseApp, Endpoint, NDJSONStreamingResponse
from jero._asgi import Message, Receive, Scope, Send
from jero._rsgi import ClientGone, serve, shutdown, startup
from tests.rsgi.standins import Closed, FakeScope, Protocol


def run[T](coroutine: Any) -> T:
    return asyncio.run(coroutine)


async def recorded(scope: FakeScope, protocol: Protocol, steps: Any) -> list[Any]:
    """Serve a hand-written ASGI app that runs `steps(scope, receive, send, seen)`."""
    seen: list[Any] = []

    async def app(asgi: Scope, receive: Receive, send: Send) -> None:
        seen.append(asgi)
        await steps(asgi, receive, send, seen)

    await serve(app, scope, protocol)  # type: ignore[arg-type]
    return seen


# --- the scope ------------------------------------------------------------------------


def test_the_asgi_scope_has_what_an_asgi_server_gives() -> None:
    scope = FakeScope(
        "/a b/é",
        query="x=%20y&z",
        headers=[("host", "h"), ("x-tag", "1"), ("x-tag", "2")],
        http_version="1",
    )

    async def nothing(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    (asgi,) = run(recorded(scope, Protocol(), nothing))
    assert asgi["type"] == "http"
    assert asgi["http_version"] == "1.0"
    assert (asgi["method"], asgi["scheme"], asgi["path"]) == ("GET", "http", "/a b/é")
    assert asgi["query_string"] == b"x=%20y&z"
    assert asgi["root_path"] == ""
    assert asgi["headers"] == [(b"host", b"h"), (b"x-tag", b"1"), (b"x-tag", b"2")]
    assert asgi["client"] == ("::1", 50123)
    assert asgi["server"] == ("127.0.0.1", 8000)
    assert "http.response.pathsend" in asgi["extensions"]


# --- receive ----------------------------------------------------------------------------


async def _read_all(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
    while True:
        message = await receive()
        seen.append(message)
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_body_with_a_length_ends_at_its_last_byte_without_waiting_for_the_end() -> None:
    scope = FakeScope(method="POST", headers=[("content-length", "6")])
    protocol = Protocol([b"abc", b"def", b"never read"])
    messages = run(recorded(scope, protocol, _read_all))[1:]
    assert messages == [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"def", "more_body": False},
    ]
    assert protocol.body.chunks == [b"never read"]


def test_a_request_without_a_body_never_touches_the_protocol() -> None:
    protocol = Protocol([b"unexpected"])
    messages = run(recorded(FakeScope(), protocol, _read_all))[1:]
    assert messages == [{"type": "http.request", "body": b"", "more_body": False}]
    assert protocol.body.chunks == [b"unexpected"]


def test_a_chunked_body_ends_with_granians_empty_end_chunk() -> None:
    scope = FakeScope(method="POST", headers=[("transfer-encoding", "chunked")])
    messages = run(recorded(scope, Protocol([b"ab", b"cd", b""]), _read_all))[1:]
    assert [m["body"] for m in messages] == [b"ab", b"cd", b""]
    assert messages[-1]["more_body"] is False


def test_a_body_shorter_than_its_length_is_a_disconnect() -> None:
    scope = FakeScope(method="POST", headers=[("content-length", "100")])
    messages = run(recorded(scope, Protocol([b"abc", b"", b""]), _read_all))[1:]
    assert messages[-1] == {"type": "http.disconnect"}


def test_a_broken_chunked_body_is_a_disconnect() -> None:
    # granian reports a failed read as an empty chunk before the empty end chunk.
    scope = FakeScope(method="POST", headers=[("transfer-encoding", "chunked")])
    messages = run(recorded(scope, Protocol([b"abc", b"", b""]), _read_all))[1:]
    assert messages[-1] == {"type": "http.disconnect"}


def test_after_the_answer_receive_says_the_client_left() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})
        seen.append(await receive())

    messages = run(recorded(FakeScope(), Protocol(), steps))[1:]
    assert messages[-1] == {"type": "http.disconnect"}


def test_before_the_answer_receive_waits_for_the_client_to_leave() -> None:
    protocol = Protocol()

    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        await receive()  # the (empty) body
        waiting = asyncio.ensure_future(receive())
        await asyncio.sleep(0.01)
        seen.append(waiting.done())
        protocol.gone.set()
        seen.append(await waiting)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    seen = run(recorded(FakeScope(), protocol, steps))
    assert seen[1:] == [False, {"type": "http.disconnect"}]


# --- send -------------------------------------------------------------------------------


def test_a_whole_answer_is_one_response_bytes_call() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        headers = [(b"content-type", b"application/json"), (b"x-name", "café".encode())]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    protocol = Protocol()
    run(recorded(FakeScope(), protocol, steps))
    assert protocol.calls == [
        ("bytes", 201, [("content-type", "application/json"), ("x-name", "café")], b"{}")
    ]


def test_headers_given_as_lists_and_in_latin_1_are_sent_as_text() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        headers = [[b"x-list", b"1"], [b"x-latin", "caf\u00e9".encode("latin-1")]]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    for _ in range(2):  # the same answer whatever the header cache holds
        protocol = Protocol()
        run(recorded(FakeScope(), protocol, steps))
        assert protocol.calls == [("bytes", 200, [("x-list", "1"), ("x-latin", "caf\u00e9")], b"")]


def test_a_body_in_parts_is_a_stream() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"b", b""):
            await send({"type": "http.response.body", "body": part, "more_body": part != b""})

    protocol = Protocol()
    run(recorded(FakeScope(), protocol, steps))
    assert protocol.calls == [("stream", 200, [])]
    assert protocol.stream is not None and protocol.stream.chunks == [b"a", b"b"]


def test_a_stream_to_a_client_that_left_raises_an_oserror() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        with pytest.raises(ClientGone):
            await send({"type": "http.response.body", "body": b"b", "more_body": True})
        seen.append("raised")

    assert run(recorded(FakeScope(), Protocol(fail_after=1), steps))[1:] == ["raised"]
    assert issubclass(ClientGone, OSError)


def test_pathsend_is_granians_file_response() -> None:
    async def steps(asgi: Scope, receive: Receive, send: Send, seen: list[Any]) -> None:
        headers = [(b"content-length", b"3")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.pathsend", "path": "/srv/a.txt"})

    protocol = Protocol()
    run(recorded(FakeScope(), protocol, steps))
    assert protocol.calls == [("file", 200, [("content-length", "3")], "/srv/a.txt")]


# --- a jero app -------------------------------------------------------------------------


class Row(Struct):
    n: int


class RowsEndpoint(Endpoint, path="/rows"):
    async def get(self) -> NDJSONStreamingResponse[Row]:
        async def rows() -> Any:
            for n in range(3):
                yield Row(n)

        return NDJSONStreamingResponse(rows())


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class App(BaseApp):
    async def _wire(self) -> None:
        self.log.append("wired")
        self._include_endpoint(PingEndpoint())
        self._include_endpoint(RowsEndpoint())
        self._enter(_Closing(self.log))

    log: list[str]


class _Closing:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.log.append("closed")


class Failing(BaseApp):
    async def _wire(self) -> None:
        raise RuntimeError("no database")


def test_a_jero_app_over_rsgi_with_lifespan_from_the_hooks() -> None:
    app = App()
    app.log = []
    loop = asyncio.new_event_loop()
    try:
        app.__rsgi_init__(loop)
        assert app.log == ["wired"]
        ping, rows = Protocol(), Protocol()
        loop.run_until_complete(app.__rsgi__(FakeScope("/ping"), ping))
        loop.run_until_complete(app.__rsgi__(FakeScope("/rows"), rows))
        app.__rsgi_del__(loop)
    finally:
        loop.close()
    assert ping.calls[0][:2] == ("bytes", 200)
    assert ping.calls[0][3] == b"pong"
    assert rows.calls[0][:2] == ("stream", 200)
    assert rows.stream is not None
    assert b"".join(rows.stream.chunks) == b'{"n":0}\n{"n":1}\n{"n":2}\n'
    assert app.log == ["wired", "closed"]


def test_a_failed_startup_ends_the_worker_with_status_1(caplog: pytest.LogCaptureFixture) -> None:
    app = Failing()
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(SystemExit) as exited:
            startup(app, loop)
        shutdown(app, loop)  # nothing started: nothing to do
    finally:
        loop.close()
    assert exited.value.code == 1
    assert "RSGI lifespan startup failed: RuntimeError: no database" in caplog.text


# --- WebSockets -------------------------------------------------------------------------


class Message_:
    def __init__(self, kind: int, data: Any = None) -> None:
        self.kind = kind
        self.data = data


class Transport:
    def __init__(self, incoming: list[Message_]) -> None:
        self.incoming = list(incoming)
        self.sent: list[Any] = []

    async def receive(self) -> Message_:
        if not self.incoming:
            raise Closed("closed")
        return self.incoming.pop(0)

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)

    async def send_str(self, data: str) -> None:
        self.sent.append(data)


class SocketProtocol:
    def __init__(self, incoming: list[Message_]) -> None:
        self.transport = Transport(incoming)
        self.closed: list[int | None] = []

    async def accept(self) -> Transport:
        return self.transport

    def close(self, status: int | None = None) -> None:
        self.closed.append(status)


def test_a_websocket_echo_and_the_clients_close() -> None:
    async def echo(asgi: Scope, receive: Receive, send: Send) -> None:
        assert asgi["type"] == "websocket"
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while True:
            message: Message = await receive()
            if message["type"] == "websocket.disconnect":
                seen.append(message["code"])
                return
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": message["text"].upper()})
            else:
                await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})

    seen: list[int] = []
    protocol = SocketProtocol([Message_(2, "hi"), Message_(1, b"ab"), Message_(0)])
    run(serve(echo, FakeScope("/ws", proto="ws"), protocol))  # type: ignore[arg-type]
    assert protocol.transport.sent == ["HI", b"ba"]
    assert seen == [1005]  # RSGI carries no close code
    assert protocol.closed == [1000]


def test_a_websocket_refused_before_accept_is_403_and_a_denial_keeps_its_status() -> None:
    async def refuse(asgi: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    async def deny(asgi: Scope, receive: Receive, send: Send) -> None:
        assert "websocket.http.response" in asgi["extensions"]
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"{}"})

    refused, denied = SocketProtocol([]), SocketProtocol([])
    run(serve(refuse, FakeScope("/ws", proto="ws"), refused))  # type: ignore[arg-type]
    run(serve(deny, FakeScope("/ws", proto="ws"), denied))  # type: ignore[arg-type]
    assert refused.closed == [403]
    assert denied.closed == [401]
