"""One RSGI call served by an ASGI app: what a jero app does for WebSockets, and for
HTTP requests before its routes are wired (a wired app answers HTTP through its routes'
own RSGI entries, see `_serve.Server.rsgi`). The app's coroutine is returned, not
awaited here: no frame of its own per call.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

from .._asgi import ASGIApp
from .http import exchange
from .scope import http_scope
from .types import RSGIHTTPProtocol, RSGIScope
from .websocket import serve_websocket


def serve(app: ASGIApp, scope: RSGIScope, protocol: Any) -> Awaitable[None]:
    """Serve one RSGI request (`proto == "http"`) or WebSocket (`"ws"`) with `app`.

    A request the app leaves unanswered (it returned, or raised, before sending a
    complete response) gets granian's 500, as under ASGI."""
    if scope.proto != "http":
        return serve_websocket(app, scope, protocol)
    served = exchange(scope, cast(RSGIHTTPProtocol, protocol))
    return app(http_scope(scope), served.receive, served.send)
