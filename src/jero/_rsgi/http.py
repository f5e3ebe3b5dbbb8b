"""One HTTP request over RSGI: the ASGI `receive` and `send` the app is given.

`send` keeps the response head until it sees the first body message: a body that ends
there goes out in one `response_bytes` call (every buffered answer), a body with more to
come opens a `response_stream` and sends each chunk through it, and
`http.response.pathsend` becomes `response_file`.

`receive` reads the body chunk by chunk from the protocol's iterator. With a
Content-Length it marks the chunk that completes it as the last, without waiting for
granian's empty end chunk, so a small body is one message; a body that stops short of
its length means the client left (`http.disconnect`). Once the body was read, `receive`
waits for the client to leave, or says it left once the response was sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING

from .._asgi import HeaderList, Message
from .types import RSGIBody, RSGIHTTPProtocol, RSGIScope, RSGIStream

__all__ = ["ClientGone", "Exchange", "exchange", "text_headers"]

DISCONNECT: Message = {"type": "http.disconnect"}
_EMPTY_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}


class ClientGone(OSError):
    """The client closed the connection while the response was being sent (what ASGI
    servers raise from `send`, so the app's handling is the same)."""


def text_headers(headers: HeaderList) -> list[tuple[str, str]]:
    """RSGI takes header names and values as text, which granian sends as UTF-8: bytes
    that are UTF-8 go out unchanged (others as Latin-1 text). Most headers an app sends
    repeat whole (a media type, a small length): those pairs come from a cache."""
    known = _known
    try:
        return [known(header) or _learn(header) for header in headers]
    except TypeError:  # a header given as a list (ASGI allows any pair) is no cache key
        return [(_text(name), _text(value)) for name, value in headers]


_texts: dict[tuple[bytes, bytes], tuple[str, str]] = {}
_known = _texts.get
_TEXT_CACHE = 4096


def _learn(header: tuple[bytes, bytes]) -> tuple[str, str]:
    name, value = header
    text = _text(name), _text(value)
    if len(value) <= 64:  # short values repeat (lengths, types); long ones (ids) rarely do
        if len(_texts) >= _TEXT_CACHE:
            _texts.clear()
        _texts[header] = text
    return text


def _text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Done(tuple[()]):
    """What `send` returns when there is nothing to wait for: awaiting it completes at
    once. It is an empty tuple whose `__await__` is the tuple's own iterator, so no
    Python frame runs (cheaper than a coroutine per message)."""

    __slots__ = ()
    if TYPE_CHECKING:

        def __await__(self) -> Generator[None]: ...

    else:
        __await__ = tuple.__iter__


_DONE: Awaitable[None] = _Done()


def body_length(scope: RSGIScope) -> int | None:
    """The body's size when the request tells it: its Content-Length, or 0 for an
    HTTP/1 request with neither Content-Length nor chunked framing. None: read to the end."""
    headers = scope.headers
    declared = headers.get("content-length")
    if declared is not None:
        return int(declared) if declared.isdigit() else None
    if scope.http_version.startswith("1") and headers.get("transfer-encoding") is None:
        return 0
    return None


_new = object.__new__


def exchange(scope: RSGIScope, protocol: RSGIHTTPProtocol) -> Exchange:
    """A new request's `Exchange` (no `__init__` call: two attributes are all it needs)."""
    made = _new(Exchange)
    made.rsgi = scope
    made.protocol = protocol
    return made


class Exchange:
    """The `receive` / `send` pair of one request. Its state starts as the class
    attributes below: a request sets only what it changes (most set two)."""

    rsgi: RSGIScope
    protocol: RSGIHTTPProtocol
    unread: int | None = -1
    """Bytes of the body still to come (None: unknown until the end chunk; -1: not
    looked at yet, since most requests never read a body)."""
    body: RSGIBody | None = None
    left = False
    """The body was read to its end (or the client left): only disconnect remains."""
    status = 200
    headers: HeaderList = []  # noqa: RUF012 (never mutated: replaced by the start message)
    stream: RSGIStream | None = None
    responded = False

    # --- receive ---------------------------------------------------------------------

    async def receive(self) -> Message:
        if self.left:
            if not self.responded:
                await self.protocol.client_disconnect()
            return DISCONNECT
        unread = self.unread
        if unread == -1:
            unread = self.unread = body_length(self.rsgi)
        if unread == 0:
            self.left = True
            return _EMPTY_BODY
        body = self.body
        if body is None:
            body = self.body = self.protocol.__aiter__()
        chunk = await _next(body)
        if unread is None:
            if chunk:
                return {"type": "http.request", "body": chunk, "more_body": True}
            self.left = True
            # granian turns a failed read (the client left, broken chunked framing) into
            # one empty chunk before the empty end chunk: a second one means the body broke.
            after = await _next(body)
            if after is None:
                return _EMPTY_BODY
            if after:
                self.left = False  # an empty frame inside the body: carry on
                return {"type": "http.request", "body": after, "more_body": True}
            return DISCONNECT
        if not chunk:  # the body ended before its declared length (or None: exhausted)
            self.left = True
            return DISCONNECT
        unread -= len(chunk)
        self.unread = unread
        if unread > 0:
            return {"type": "http.request", "body": chunk, "more_body": True}
        self.left = True
        return {"type": "http.request", "body": chunk, "more_body": False}

    # --- send ------------------------------------------------------------------------

    def send(self, message: Message) -> Awaitable[None]:
        """ASGI's `send`. Not a coroutine function: the head and a whole body need no
        waiting, so they return an awaitable that is already done."""
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers") or []
            return _DONE
        if kind == "http.response.body":
            if self.stream is None and not self.responded and not message.get("more_body"):
                self.responded = True  # a whole body: one call, nothing to await
                headers = text_headers(self.headers)
                self.protocol.response_bytes(self.status, headers, message.get("body", b""))
                return _DONE
            return self.__stream(message.get("body", b""), message.get("more_body", False))
        if kind == "http.response.pathsend":
            self.responded = True
            self.protocol.response_file(self.status, text_headers(self.headers), message["path"])
            return _DONE
        raise RuntimeError(f"jero's RSGI adapter cannot send {kind!r} messages")

    async def __stream(self, body: bytes, more: bool) -> None:
        stream = self.stream
        if stream is None:
            if self.responded:
                raise ClientGone("the response was already sent")
            stream = self.stream = self.protocol.response_stream(
                self.status, text_headers(self.headers)
            )
        if body:
            try:
                await stream.send_bytes(body)
            except RuntimeError as error:  # granian's RSGIProtocolClosed
                self.stream = None
                self.responded = True
                raise ClientGone(str(error)) from error
        if not more:
            # Dropping the transport ends the chunked body now, not when the app returns.
            self.stream = None
            self.responded = True


async def _next(body: RSGIBody) -> bytes | None:
    """The next chunk; None once the iterator is exhausted."""
    try:
        return await body.__anext__()
    except StopAsyncIteration:
        return None
