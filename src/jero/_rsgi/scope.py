"""The ASGI scope of an RSGI request: the same keys an ASGI server would give.

granian's RSGI scope already has the path percent-decoded (as ASGI's `path` is) and the
headers as text with lower-case names; ASGI wants bytes, so each header is encoded once
here. The scope advertises `http.response.pathsend`: a file the app sends by path goes
out through granian's own file response.

`http_scope` builds every key at once: what a middleware gets, since middleware is ASGI
code that may copy or iterate the scope. A route that only jero's own code reads gets
the lazily converted scope of `request.py` instead.
"""

from __future__ import annotations

from typing import Any

from .types import RSGIScope

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
HTTP_EXTENSIONS: dict[str, Any] = {"http.response.pathsend": {}}
WEBSOCKET_EXTENSIONS: dict[str, Any] = {"websocket.http.response": {}}
"""RSGI refuses a handshake with a bare status: the denial's headers and body are lost,
its status is not (better than accepting and closing with a code RSGI cannot send)."""

_HTTP_VERSIONS = {"1": "1.0", "1.0": "1.0", "1.1": "1.1", "2": "2", "3": "3"}
encode_text = str.encode
"""granian only passes header values that are visible ASCII (it drops the others), and
a request target is ASCII too, so UTF-8, the fastest encoding to call, gives the bytes
the client sent."""
http_version = _HTTP_VERSIONS.get


def address(text: str) -> tuple[str, int] | None:
    """`"127.0.0.1:8000"` or `"[::1]:8000"` as the (host, port) pair ASGI uses (cached:
    a keep-alive connection sends many requests from one address)."""
    found = _addresses.get(text)
    if found is None:
        if len(_addresses) >= _ADDRESS_CACHE:
            _addresses.clear()
        found = _addresses[text] = _parse_address(text)
    return found


def _parse_address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        return None
    if host.startswith("["):
        host = host[1:-1]
    return host, int(port)


_ADDRESS_CACHE = 4096
_addresses: dict[str, tuple[str, int] | None] = {}
known_address = _addresses.get
"""The cached pair, or None (then `address` parses and caches it): a C call on a hit."""


def http_scope(scope: RSGIScope) -> dict[str, Any]:
    """Every key of the request's ASGI scope, built now."""
    version = scope.http_version
    client, server = scope.client, scope.server
    return {
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


def headers_of(scope: RSGIScope) -> list[tuple[bytes, bytes]]:
    """The request headers as ASGI gives them."""
    return [(encode_text(name), encode_text(value)) for name, value in scope.headers.items()]


def version_of(scope: RSGIScope) -> str:
    """The HTTP version as ASGI spells it."""
    version = scope.http_version
    return http_version(version, version)


def websocket_scope(scope: RSGIScope) -> dict[str, Any]:
    return {
        "type": "websocket",
        "asgi": ASGI_VERSION,
        "http_version": http_version(scope.http_version, scope.http_version),
        "scheme": "wss" if scope.scheme in ("https", "wss") else "ws",
        "path": scope.path,
        "query_string": encode_text(scope.query_string),
        "root_path": "",
        "headers": headers_of(scope),
        "client": address(scope.client),
        "server": address(scope.server),
        "subprotocols": _subprotocols(scope),
        "extensions": WEBSOCKET_EXTENSIONS,
    }


def _subprotocols(scope: RSGIScope) -> list[str]:
    offered = scope.headers.get("sec-websocket-protocol")
    if not offered:
        return []
    return [name.strip() for name in offered.split(",") if name.strip()]
