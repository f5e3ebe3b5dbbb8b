"""`BaseApp.__rsgi__`: one RSGI call, served by the app's ASGI callable."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from .._asgi import ASGIApp
from .http import Exchange
from .scope import http_scope
from .types import RSGIHTTPProtocol, RSGIScope, RSGIWebsocketProtocol
from .websocket import serve_websocket


def serve(app: ASGIApp, scope: RSGIScope, protocol: Any) -> Awaitable[None]:
    """Serve one RSGI request (`proto == "http"`) or WebSocket (`"ws"`) with `app`.

    A request the app leaves unanswered (it returned, or raised, before sending a
    complete response) gets granian's 500, as under ASGI."""
    if scope.proto == "http":
        http: RSGIHTTPProtocol = protocol
        exchange = Exchange(scope, http)
        # The app's own coroutine, returned rather than awaited: no extra frame per request.
        return app(http_scope(scope), exchange.receive, exchange.send)
    socket: RSGIWebsocketProtocol = protocol
    return serve_websocket(app, scope, socket)
