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

from .._asgi import HeaderList, Message
from .types import RSGIBody, RSGIHTTPProtocol, RSGIScope, RSGIStream

__all__ = ["ClientGone", "Exchange"]

DISCONNECT: Message = {"type": "http.disconnect"}
_EMPTY_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}


class ClientGone(OSError):
    """The client closed the connection while the response was being sent (what ASGI
    servers raise from `send`, so the app's handling is the same)."""


def text_headers(headers: HeaderList) -> list[tuple[str, str]]:
    """RSGI takes header values as text: ASCII on the fast path, Latin-1 otherwise."""
    try:
        return [(_decode(name), _decode(value)) for name, value in headers]
    except UnicodeDecodeError:
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


_decode = bytes.decode


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


class Exchange:
    """The `receive` / `send` pair of one request."""

    __slots__ = (
        "body", "headers", "left", "protocol", "responded", "scope", "status", "stream", "unread"
    )  # fmt: skip

    def __init__(self, scope: RSGIScope, protocol: RSGIHTTPProtocol) -> None:
        self.scope = scope
        self.protocol = protocol
        self.unread: int | None = -1
        """Bytes of the body still to come (None: unknown until the end chunk; -1: not
        looked at yet, since most requests never read a body)."""
        self.body: RSGIBody | None = None
        self.left = False
        """The body was read to its end (or the client left): only disconnect remains."""
        self.status = 200
        self.headers: HeaderList = []
        self.stream: RSGIStream | None = None
        self.responded = False

    # --- receive ---------------------------------------------------------------------

    async def receive(self) -> Message:
        if self.left:
            if not self.responded:
                await self.protocol.client_disconnect()
            return DISCONNECT
        unread = self.unread
        if unread == -1:
            unread = self.unread = body_length(self.scope)
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

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers") or []
        elif kind == "http.response.body":
            if self.stream is None and not self.responded and not message.get("more_body"):
                self.responded = True  # a whole body: one call, nothing to await
                self.protocol.response_bytes(
                    self.status, text_headers(self.headers), message.get("body", b"")
                )
                return
            await self.__stream(message.get("body", b""), message.get("more_body", False))
        elif kind == "http.response.pathsend":
            self.responded = True
            self.protocol.response_file(self.status, text_headers(self.headers), message["path"])
        else:
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
