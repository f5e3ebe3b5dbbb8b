"""`RSGIRequest`: one RSGI HTTP request as the routes no middleware wraps see it.

It is both halves of what an ASGI server hands an app, in one object per request: the
scope (the request is a dict) and the `receive` / `send` pair (it is an `Exchange`).
The scope starts with the four keys every request uses, `type`, `method`, `path` and
`root_path`; the others are converted from granian's scope the first time something
reads them, by `[key]` or `.get`, then kept. A request that never looks at its headers
never converts them (reading an attribute of granian's scope is a call into Rust that
makes a new object every time), and no key is converted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .http import Exchange
from .scope import ASGI_VERSION, HTTP_EXTENSIONS, address, encode_text, headers_of, version_of
from .types import RSGIHTTPProtocol, RSGIScope

__all__ = ["RSGIRequest", "rsgi_request"]


class RSGIRequest(dict[str, Any], Exchange):
    """The request's ASGI scope, converted as it is read, and its `receive` / `send`."""

    def __missing__(self, key: str) -> Any:
        convert = _LATER.get(key)
        if convert is None:
            raise KeyError(key)
        value = self[key] = convert(self.rsgi)
        return value

    # One signature for dict's three overloads: every value of a scope is `Any`.
    def get(self, key: str, default: Any = None, /) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        if key in self or key in _LATER:
            return self[key]
        return default


_new = RSGIRequest.__new__


def rsgi_request(
    scope: RSGIScope, protocol: RSGIHTTPProtocol, method: str, path: str
) -> RSGIRequest:
    """The request granian handed over, whose method and path were already read (no
    `__init__` call)."""
    request = _new(RSGIRequest)
    request.rsgi = scope
    request.protocol = protocol
    request["type"] = "http"
    request["method"] = method
    request["path"] = path
    request["root_path"] = ""
    return request


_LATER: dict[str, Callable[[RSGIScope], Any]] = {
    "headers": headers_of,
    "query_string": lambda scope: encode_text(scope.query_string),
    "client": lambda scope: address(scope.client),
    "server": lambda scope: address(scope.server),
    "scheme": lambda scope: scope.scheme,
    "http_version": version_of,
    "asgi": lambda scope: ASGI_VERSION,
    "extensions": lambda scope: HTTP_EXTENSIONS,
}
