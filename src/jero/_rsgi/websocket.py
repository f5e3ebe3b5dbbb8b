"""One WebSocket over RSGI: the ASGI `receive` and `send` of a websocket scope.

granian's RSGI WebSocket API differs from ASGI's in three ways the adapter absorbs:
there is no `websocket.connect` event (the adapter makes one); a handshake can only be
refused with a bare HTTP status, so the `websocket.http.response` extension is offered
and its status kept (401, 403, 404...) while its headers and body are dropped, and a
close before `accept` is a 403 as on ASGI servers; and the close frames carry no code
either way with granian 2.8: a client's close arrives as `websocket.disconnect` with
1005 ("no status received"), and the app's close code does not reach the client
(docs/rsgi.md says so; serve over ASGI where codes matter).
"""

from __future__ import annotations

from typing import Any

from .._asgi import ASGIApp, Message
from .http import ClientGone
from .scope import websocket_scope
from .types import RSGIScope, RSGIWebsocketProtocol, RSGIWebsocketTransport

NO_STATUS = 1005
ABNORMAL = 1006
REFUSED = 403
_CONNECT: Message = {"type": "websocket.connect"}
_BYTES, _TEXT = 1, 2


class Socket:
    __slots__ = ("closed", "code", "connected", "denial", "protocol", "transport")

    def __init__(self, protocol: RSGIWebsocketProtocol) -> None:
        self.protocol = protocol
        self.transport: RSGIWebsocketTransport | None = None
        self.connected = False
        self.closed = False
        self.code = NO_STATUS
        self.denial = REFUSED
        """The status of a `websocket.http.response` being sent."""

    async def receive(self) -> Message:
        if not self.connected:
            self.connected = True
            return _CONNECT
        transport = self.transport
        if transport is None or self.closed:
            return {"type": "websocket.disconnect", "code": self.code}
        try:
            message: Any = await transport.receive()
        except RuntimeError:  # granian's RSGIProtocolClosed: the connection dropped
            self.closed = True
            self.code = ABNORMAL
            return {"type": "websocket.disconnect", "code": ABNORMAL}
        kind = message.kind
        if kind == _TEXT:
            return {"type": "websocket.receive", "text": message.data}
        if kind == _BYTES:
            return {"type": "websocket.receive", "bytes": message.data}
        self.closed = True
        return {"type": "websocket.disconnect", "code": NO_STATUS}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            transport = self.transport
            if transport is None or self.closed:
                raise ClientGone("the WebSocket is closed")
            try:
                text = message.get("text")
                if text is not None:
                    await transport.send_str(text)
                else:
                    await transport.send_bytes(message.get("bytes") or b"")
            except RuntimeError as error:
                self.closed = True
                raise ClientGone(str(error)) from error
        elif kind == "websocket.accept":
            if self.transport is None and not self.closed:
                self.transport = await self.protocol.accept()
        elif kind == "websocket.close":
            self.close(message.get("code") or 1000)
        elif kind == "websocket.http.response.start":
            self.denial = message["status"]
        elif kind == "websocket.http.response.body":
            if not message.get("more_body", False) and not self.closed:
                self.closed = True
                self.protocol.close(self.denial)
        else:
            raise RuntimeError(f"jero's RSGI adapter cannot send {kind!r} messages")

    def close(self, code: int) -> None:
        if self.closed and self.transport is None:
            return
        accepted = self.transport is not None
        self.closed = True
        self.transport = None
        self.code = code
        self.protocol.close(code if accepted else REFUSED)


async def serve_websocket(app: ASGIApp, scope: RSGIScope, protocol: RSGIWebsocketProtocol) -> None:
    socket = Socket(protocol)
    try:
        await app(websocket_scope(scope), socket.receive, socket.send)
    finally:
        if socket.transport is not None or not socket.closed:
            socket.close(1000)
