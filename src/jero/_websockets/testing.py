"""In-process WebSocket sessions for `TestClient.websocket_connect` and
`AsyncTestClient.websocket_connect`: the app's `websocket` scope runs as a task of the
client's task group, the two ends joined by memory streams, no socket.

    with client.websocket_connect("/rooms/lobby/ws") as ws:
        ws.send(Say(text="hi"))
        assert ws.receive(Said).text == "hi"

The scope advertises the `websocket.http.response` extension (as granian does), so a
refused handshake raises `WebSocketDenied` with the problem response; pass
`denial_response=False` to see what a server without it does. A `websocket.close` from
the app makes the next `receive_*` raise `WebSocketClosed` with its code and reason.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, overload
from urllib.parse import unquote

import anyio
import anyio.from_thread
import httpx
import msgspec

from .._asgi import ASGIApp, Message

__all__ = ["AsyncWebSocketSession", "WebSocketClosed", "WebSocketDenied", "WebSocketTestSession"]

_BUFFERED_MESSAGES = 16
RECEIVE_TIMEOUT = 10.0
"""Seconds a `receive_*` waits before failing the test (a hang guard, not a check)."""


class WebSocketClosed(Exception):
    """The app closed the socket; `code` and `reason` are what its close frame said."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"the app closed the WebSocket with {code} {reason!r}")
        self.code = code
        self.reason = reason


class WebSocketDenied(Exception):
    """The app refused the handshake with an HTTP response (the problem document, via
    the denial extension), or, without that extension, closed before accepting (403)."""

    def __init__(self, status: int, headers: httpx.Headers, body: bytes) -> None:
        super().__init__(f"the app refused the WebSocket handshake with {status}")
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


type StartSoon = Callable[[Callable[[], Coroutine[Any, Any, None]]], None]


def websocket_scope(
    request: httpx.Request,
    root_path: str,
    state: dict[str, Any],
    denial: bool,
    subprotocols: list[str],
) -> dict[str, Any]:
    url = request.url
    secure = url.scheme in ("https", "wss")
    port = url.port or (443 if secure else 80)
    headers = [(k.lower(), v) for k, v in request.headers.raw]
    headers += [
        (b"connection", b"upgrade"),
        (b"upgrade", b"websocket"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-key", secrets.token_urlsafe(16).encode()),
    ]
    if subprotocols:
        headers.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if secure else "ws",
        "path": root_path + unquote(url.path),
        "raw_path": root_path.encode() + url.raw_path.split(b"?")[0],
        "root_path": root_path,
        "query_string": url.query,
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": (url.host, port),
        "subprotocols": subprotocols,
        "state": dict(state),
        "extensions": {"websocket.http.response": {}} if denial else {},
    }
    return scope


class AsyncWebSocketSession:
    """The client end of one in-process WebSocket; `async with` it."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], start_soon: StartSoon) -> None:
        self._app = app
        self._scope = scope
        self._start_soon = start_soon
        self._to_app = anyio.create_memory_object_stream[Message](math.inf)
        # A small buffer gives the app's sends back-pressure, as a socket would.
        self._from_app = anyio.create_memory_object_stream[Message](_BUFFERED_MESSAGES)
        self._done = anyio.Event()
        self._error: BaseException | None = None
        self._client_closed = False
        self.close_code: int | None = None
        """The close code once either side closed the socket."""
        self.close_reason: str = ""
        self.subprotocol: str | None = None
        """The subprotocol the app accepted with, if any."""
        self.accept_headers: list[tuple[bytes, bytes]] = []

    # --- the app's side ------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._app(self._scope, self._to_app[1].receive, self._app_send)
        except BaseException as error:
            self._error = error
        finally:
            self._from_app[0].close()
            self._done.set()

    async def _app_send(self, message: Message) -> None:
        if self._client_closed:
            raise OSError("the client closed the WebSocket")
        if message["type"] == "websocket.close":
            # The server side of a close: the app's next receive() sees the disconnect.
            self._to_app[0].send_nowait(
                {"type": "websocket.disconnect", "code": message.get("code", 1000)}
            )
        try:
            await self._from_app[0].send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise OSError("the client closed the WebSocket") from None

    # --- the client's side ---------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._start_soon(self._run)
        self._to_app[0].send_nowait({"type": "websocket.connect"})
        first = await self._next()
        kind = first["type"]
        if kind == "websocket.accept":
            self.subprotocol = first.get("subprotocol")
            self.accept_headers = list(first.get("headers") or [])
            return self
        self._client_closed = True  # the handshake failed: there is no socket
        if kind == "websocket.close":
            await self._finish()
            raise WebSocketDenied(403, httpx.Headers(), b"")
        if kind == "websocket.http.response.start":
            body = b""
            async for part in self._from_app[1]:
                body += part.get("body", b"")
                if not part.get("more_body", False):
                    break
            await self._finish()
            headers = httpx.Headers([(bytes(k), bytes(v)) for k, v in first.get("headers", [])])
            raise WebSocketDenied(first["status"], headers, body)
        await self._finish()
        raise RuntimeError(f"the app answered the handshake with {kind!r}")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()

    async def _next(self) -> Message:
        try:
            with anyio.fail_after(RECEIVE_TIMEOUT):
                return await self._from_app[1].receive()
        except anyio.EndOfStream:
            await self._done.wait()
            if self._error is not None:
                raise self._error from None
            raise RuntimeError("the app ended the WebSocket scope without closing it") from None

    async def _finish(self) -> None:
        self._from_app[1].close()
        with anyio.fail_after(RECEIVE_TIMEOUT):
            await self._done.wait()

    async def receive_message(self) -> Message:
        """The next `websocket.send` event; raises `WebSocketClosed` at the app's close."""
        if self.close_code is not None:
            raise WebSocketClosed(self.close_code, self.close_reason)
        message = await self._next()
        if message["type"] == "websocket.close":
            code: int = message.get("code", 1000)
            self.close_code, self.close_reason = code, message.get("reason") or ""
            raise WebSocketClosed(code, self.close_reason)
        return message

    async def receive_text(self) -> str:
        message = await self.receive_message()
        text = message.get("text")
        if text is None:
            raise AssertionError("expected a text frame, got a binary one")
        return text

    async def receive_bytes(self) -> bytes:
        message = await self.receive_message()
        data = message.get("bytes")
        if data is None:
            raise AssertionError("expected a binary frame, got a text one")
        return data

    async def receive_json(self) -> Any:
        """A text frame decoded from JSON."""
        return msgspec.json.decode(await self.receive_text())

    @overload
    async def receive[T](self, message_type: type[T]) -> T: ...
    @overload
    async def receive(self, message_type: Any) -> Any: ...
    async def receive(self, message_type: Any) -> Any:
        """The next message as `message_type`: JSON from a text frame, MessagePack from a
        binary one (how the app's socket encodes Structs)."""
        message = await self.receive_message()
        text = message.get("text")
        if text is not None:
            return msgspec.json.decode(text, type=message_type)
        return msgspec.msgpack.decode(message.get("bytes") or b"", type=message_type)

    async def send_text(self, text: str) -> None:
        await self._to_app_send({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        await self._to_app_send({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any) -> None:
        """`data` as JSON in a text frame."""
        await self.send_text(msgspec.json.encode(data).decode())

    async def send(self, message: Any, *, binary: bool = False) -> None:
        """A Struct (or any msgspec value) as JSON in a text frame, or MessagePack in a
        binary frame when `binary=True`."""
        if binary:
            await self.send_bytes(msgspec.msgpack.encode(message))
        else:
            await self.send_json(message)

    async def _to_app_send(self, message: Message) -> None:
        if self._client_closed:
            raise RuntimeError("the WebSocket is closed")
        self._to_app[0].send_nowait(message)

    async def close(self, code: int = 1000) -> None:
        """Close from the client side and wait until the app has torn the socket down."""
        if not self._client_closed:
            self._client_closed = True
            if self.close_code is None:
                self.close_code = code
            self._to_app[0].send_nowait({"type": "websocket.disconnect", "code": code})
        await self._finish()
        if self._error is not None:
            raise self._error


class WebSocketTestSession:
    """The synchronous twin of `AsyncWebSocketSession`, for `TestClient`."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, session: AsyncWebSocketSession):
        self._portal = portal
        self._session = session

    def __enter__(self) -> Self:
        self._portal.call(self._session.__aenter__)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._portal.call(self._session.close)

    @property
    def close_code(self) -> int | None:
        return self._session.close_code

    @property
    def close_reason(self) -> str:
        return self._session.close_reason

    def receive_message(self) -> Message:
        return self._portal.call(self._session.receive_message)

    def receive_text(self) -> str:
        return self._portal.call(self._session.receive_text)

    def receive_bytes(self) -> bytes:
        return self._portal.call(self._session.receive_bytes)

    def receive_json(self) -> Any:
        return self._portal.call(self._session.receive_json)

    @overload
    def receive[T](self, message_type: type[T]) -> T: ...
    @overload
    def receive(self, message_type: Any) -> Any: ...
    def receive(self, message_type: Any) -> Any:
        return self._portal.call(self._session.receive, message_type)

    def send_text(self, text: str) -> None:
        self._portal.call(self._session.send_text, text)

    def send_bytes(self, data: bytes) -> None:
        self._portal.call(self._session.send_bytes, data)

    def send_json(self, data: Any) -> None:
        self._portal.call(self._session.send_json, data)

    def send(self, message: Any, *, binary: bool = False) -> None:
        self._portal.call(lambda: self._session.send(message, binary=binary))

    def close(self, code: int = 1000) -> None:
        self._portal.call(self._session.close, code)
