"""`BaseApp.__rsgi__`: one RSGI call, served by the app's ASGI callable.

This is the per-request path, so it is written for the interpreter: `serve` is the
method itself (`BaseApp.__rsgi__ = serve`, no delegating frame), the ASGI scope is built
inline (with the helpers of `scope.py`, which builds the WebSocket one), and the app's
own coroutine is returned rather than awaited here.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from .._asgi import ASGIApp
from .http import Exchange
from .scope import ASGI_VERSION, HTTP_EXTENSIONS, address, encode_text, http_version, known_address
from .types import RSGIScope
from .websocket import serve_websocket

_new = object.__new__


def serve(app: ASGIApp, scope: RSGIScope, protocol: Any) -> Awaitable[None]:
    """Serve one RSGI request (`proto == "http"`) or WebSocket (`"ws"`) with `app`.

    A request the app leaves unanswered (it returned, or raised, before sending a
    complete response) gets granian's 500, as under ASGI."""
    if scope.proto != "http":
        return serve_websocket(app, scope, protocol)
    exchange = _new(Exchange)  # no __init__ call: two attributes are all it needs
    exchange.scope = scope
    exchange.protocol = protocol
    version = scope.http_version
    client, server = scope.client, scope.server
    asgi = {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": http_version(version, version),
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "query_string": encode_text(scope.query_string),
        "root_path": "",
        "headers": [
            (encode_text(name), encode_text(value)) for name, value in scope.headers.items()
        ],
        "client": known_address(client) or address(client),
        "server": known_address(server) or address(server),
        "extensions": HTTP_EXTENSIONS,
    }
    return app(asgi, exchange.receive, exchange.send)
