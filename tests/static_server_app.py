"""A static mount served by granian in tests/servers/test_static_granian.py.

The directory comes from `JERO_STATIC_DIR`. An outer ASGI layer records the message
types the app sent for each request and whether the server offered
`http.response.pathsend`; `GET /_sent` answers that record as JSON, so the tests can
see which send path a response took. On RSGI the recorder is served through jero's
RSGI adapter (an outer ASGI layer has no RSGI interface of its own).
"""

from __future__ import annotations

import json
import os
from typing import Any

from jero import BaseApp, Endpoint, _rsgi
from jero._asgi import Message, Receive, Scope, Send


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class StaticApp(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(PingEndpoint())
        self._include_static(
            "/static",
            directory=os.environ["JERO_STATIC_DIR"],
            cache_control="public, max-age=3600",
            precompressed=True,
            fallback="index.html",
        )


class Recorder:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/_sent":
            body = json.dumps(self.sent).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        record: dict[str, Any] = {
            "path": scope["path"],
            "extensions": sorted(scope.get("extensions") or {}),
            "types": [],
        }
        self.sent.append(record)

        async def recording_send(message: Message) -> None:
            record["types"].append(message["type"])
            await send(message)

        await self.app(scope, receive, recording_send)

    def __rsgi__(self, scope: Any, protocol: Any) -> Any:
        return _rsgi.serve(self, scope, protocol)

    def __rsgi_init__(self, loop: Any) -> None:
        _rsgi.startup(self, loop)

    def __rsgi_del__(self, loop: Any) -> None:
        _rsgi.shutdown(self, loop)


app = Recorder(StaticApp())
