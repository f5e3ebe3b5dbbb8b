"""The two apps `benchmarks/ws_echo.py` compares: the same typed echo over WebSockets.

`raw` is a hand-written ASGI app doing the honest minimum for the same contract:
decode each text frame as a `Say` with msgspec, answer an `Echo` as a JSON text frame.
`jero` is the `WebSocketEndpoint` that does the same through the framework.
"""

from __future__ import annotations

from typing import Any

import msgspec

from jero import BaseApp, WebSocket, WebSocketEndpoint


class Say(msgspec.Struct):
    text: str
    n: int


class Echo(msgspec.Struct):
    text: str
    n: int


_decode = msgspec.json.Decoder(Say).decode
_encode = msgspec.json.Encoder().encode


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        say = _decode(message["text"])
        await send({"type": "websocket.send", "text": _encode(Echo(say.text, say.n)).decode()})


class EchoSocket(WebSocketEndpoint, path="/echo"):
    async def receive(self, message: Say, socket: WebSocket[Echo]) -> None:
        await socket.send(Echo(message.text, message.n))


class JeroApp(BaseApp):
    async def _wire(self) -> None:
        self._include_websocket(EchoSocket())


jero = JeroApp()
