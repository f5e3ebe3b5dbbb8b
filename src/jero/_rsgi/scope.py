"""The ASGI scope of an RSGI request: the same keys an ASGI server would give.

granian's RSGI scope already has the path percent-decoded (as ASGI's `path` is) and the
headers as text with lower-case names; ASGI wants bytes, so each header is encoded once
here. The adapter advertises `http.response.pathsend`: a file the app sends by path goes
out through granian's own file response.
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


def websocket_scope(scope: RSGIScope) -> dict[str, Any]:
    return {
        "type": "websocket",
        "asgi": ASGI_VERSION,
        "http_version": http_version(scope.http_version, scope.http_version),
        "scheme": "wss" if scope.scheme in ("https", "wss") else "ws",
        "path": scope.path,
        "query_string": encode_text(scope.query_string),
        "root_path": "",
        "headers": [
            (encode_text(name), encode_text(value)) for name, value in scope.headers.items()
        ],
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
