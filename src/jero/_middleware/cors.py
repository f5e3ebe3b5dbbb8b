"""`CORS`: cross-origin resource sharing per the Fetch standard, compiled per route.

Preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) reach the
answer jero gives a path without a handler, so `CORS` answers them there, from the
route table: the methods a preflight may ask for are the path's own `Allow` set (kept
to `allow_methods` when that is narrower), and every header block that does not depend
on the request is built once per route at wiring. Other requests get
`Access-Control-Allow-Origin` (and the credentials / exposed-headers fields) when their
`Origin` is allowed. With a list of origins the answer depends on `Origin`, so every
response says `Vary: Origin`; with `*` the answer is the same for everyone and no
`Vary` is added (Fetch, "CORS protocol and HTTP caches").
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence

from msgspec import Struct

from .._asgi import ASGIApp, HeaderList, Message, Receive, Scope, Send
from .._errors import ForbiddenError, WiringError
from .chain import RouteInfo, self_guarded

__all__ = ["CORS", "CORSRefusedError"]


class CORSRefusal(Struct):
    reason: str


class CORSRefusedError(
    ForbiddenError[CORSRefusal],
    type="cors-preflight-refused",
    title="CORS preflight refused",
    detail="{reason}",
):
    """A preflight asked for an origin, method or header this API does not allow."""


# Request headers a browser may send cross-origin without asking (Fetch's CORS-safelisted
# request-headers); `content-type` is listed because a JSON body makes it non-safelisted.
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#\s@]+$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

_ACAO = b"access-control-allow-origin"
_VARY = b"vary"


@self_guarded
class CORS:
    """Cross-origin resource sharing for the routes it wraps (app-wide or per mount).

    - `allow_origins`: exact origins (``"https://app.example"``), or ``["*"]`` for any.
    - `allow_methods`: ``["*"]`` (the default) allows whatever the path answers; a list
      narrows that. Preflights for a method the path lacks are always refused.
    - `allow_headers`: request headers besides the CORS-safelisted ones (and
      Content-Type); ``["*"]`` allows any header a preflight asks for.
    - `expose_headers`: response headers page scripts may read.
    - `allow_credentials`: let cookies and HTTP authentication through; then nothing
      may be ``"*"`` (a `WiringError`), as Fetch gives ``*`` no wildcard meaning there.
    - `max_age`: seconds a browser may cache a preflight answer.
    """

    def __init__(
        self,
        *,
        allow_origins: Sequence[str],
        allow_methods: Sequence[str] = ("*",),
        allow_headers: Sequence[str] = (),
        expose_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        max_age: int = 600,
    ) -> None:
        origins = _names(allow_origins, "allow_origins")
        methods = _names(allow_methods, "allow_methods")
        headers = _names(allow_headers, "allow_headers")
        exposed = _names(expose_headers, "expose_headers")
        if not origins:
            raise WiringError('CORS: allow_origins is empty; list the origins, or ["*"]')
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise WiringError(
                    f"CORS: allow_origins entry {origin!r} is not an origin; write "
                    f"scheme://host[:port] with no path, e.g. 'https://app.example.com'"
                )
        if allow_credentials:
            for name, given in (
                ("allow_origins", origins),
                ("allow_headers", headers),
                ("expose_headers", exposed),
            ):
                if "*" in given:
                    raise WiringError(
                        f'CORS: {name}=["*"] with allow_credentials=True; browsers give '
                        f"'*' no wildcard meaning on credentialed requests: list the "
                        f"{name.removeprefix('allow_').removeprefix('expose_')} explicitly"
                    )
        if max_age < 0:
            raise WiringError(f"CORS: max_age={max_age!r} must be a whole number of seconds")
        self.any_origin = origins == ("*",)
        self.origins = frozenset(origins)
        self.methods = None if "*" in methods else frozenset(methods)
        self.any_header = "*" in headers
        self.headers = frozenset(headers) | _SAFELISTED
        self.credentials = allow_credentials
        self.max_age = max_age
        self._shared = self._shared_headers(exposed)

    def _shared_headers(self, exposed: Sequence[str]) -> HeaderList:
        """What every CORS answer carries besides the origin."""
        headers: HeaderList = []
        if self.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if exposed:
            headers.append((b"access-control-expose-headers", ", ".join(exposed).encode()))
        return headers

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        actual = self._actual(app)
        if route.method is not None or not route.allow:
            return actual
        return self._preflight(actual, route)

    # --- requests other than preflights ------------------------------------------------

    def _actual(self, app: ASGIApp) -> ASGIApp:
        shared = self._shared
        if self.any_origin:
            fixed = [(_ACAO, b"*"), *shared]
            return _adding_always(app, fixed)
        allowed = self.origins
        allowed_headers = [(_VARY, b"Origin"), *shared]
        refused_headers: HeaderList = [(_VARY, b"Origin")]

        def run(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
            origin = _header(scope, b"origin")
            if origin is not None and origin.decode("latin-1") in allowed:
                extra = [(_ACAO, origin), *allowed_headers]
            else:
                extra = refused_headers
            return app(scope, receive, _adding(send, extra))

        return run

    # --- preflights -----------------------------------------------------------------

    def _preflight(self, actual: ASGIApp, route: RouteInfo) -> ASGIApp:
        path = route.path or "this path"
        problem = route.problem
        served = route.allow - {"OPTIONS"}
        methods = served if self.methods is None else served & self.methods
        fixed: HeaderList = [
            (b"access-control-allow-methods", ", ".join(sorted(methods)).encode()),
            (b"access-control-max-age", b"%d" % self.max_age),
            *self._shared,
        ]
        vary = ["Origin"] if not self.any_origin else []
        if self.any_header:
            vary.append("Access-Control-Request-Headers")
        refused: HeaderList = []
        if vary:
            fixed.append((_VARY, ", ".join(vary).encode()))
            refused.append(fixed[-1])  # a refusal depends on the same request fields

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["method"] != "OPTIONS":
                await actual(scope, receive, send)
                return
            origin = _header(scope, b"origin")
            wanted = _header(scope, b"access-control-request-method")
            if origin is None or wanted is None:
                await actual(scope, receive, send)
                return
            refusal = self._refusal(
                origin, wanted, scope, path=path, served=served, methods=methods
            )
            if refusal is not None:
                error = CORSRefusedError(CORSRefusal(refusal))
                await problem(_adding(send, refused) if refused else send, error, False, scope)
                return
            headers = [(_ACAO, b"*" if self.any_origin else origin), *fixed]
            requested = _header(scope, b"access-control-request-headers")
            if requested:
                allowed = requested if self.any_header else _known(requested, self.headers)
                headers.append((b"access-control-allow-headers", allowed))
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})

        return run

    def _refusal(
        self,
        origin: bytes,
        wanted: bytes,
        scope: Scope,
        *,
        path: str,
        served: frozenset[str],
        methods: frozenset[str],
    ) -> str | None:
        """Why this preflight is refused, or None when it is allowed."""
        if not self.any_origin and origin.decode("latin-1") not in self.origins:
            return "the origin is not allowed"
        method = wanted.decode("latin-1").strip()
        if method not in served:
            return f"{path} does not answer {method}"
        if method not in methods:
            return f"{method} is not allowed cross-origin on {path}"
        if not self.any_header:
            requested = _header(scope, b"access-control-request-headers") or b""
            for name in _split(requested):
                if name not in self.headers:
                    return f"the request header {name} is not allowed cross-origin"
        return None


def _names(given: Sequence[str], option: str) -> tuple[str, ...]:
    if isinstance(given, str):
        given = (given,)
    names: list[str] = []
    for raw in given:
        name = raw.strip()
        if name != "*" and option != "allow_origins" and not _TOKEN.match(name):
            raise WiringError(f"CORS: {option} entry {raw!r} is not a header or method name")
        names.append(name.upper() if option == "allow_methods" else name.lower())
    return tuple(names)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _split(value: bytes) -> list[str]:
    return [part.strip().lower() for part in value.decode("latin-1").split(",") if part.strip()]


def _known(requested: bytes, allowed: frozenset[str]) -> bytes:
    return ", ".join(name for name in _split(requested) if name in allowed).encode()


def _adding(send: Send, extra: HeaderList) -> Send:
    """`send`, with `extra` appended to the response head.

    Here and in the layers above, a plain function that returns the next step's
    awaitable stands where a coroutine function would only await it: the same ASGI
    call for the caller, without a coroutine of its own per request or message."""

    def send_adding(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message["headers"], *extra]}
        return send(message)

    return send_adding


def _adding_always(app: ASGIApp, extra: HeaderList) -> ASGIApp:
    def run(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return app(scope, receive, _adding(send, extra))

    return run
