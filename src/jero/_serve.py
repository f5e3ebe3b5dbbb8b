"""The request path, top to bottom:

    scope → route trie → the route's layer stack (`Serve`) → handler → response

`Server` is what an app's `_wire` run seals into. Per request it does one trie lookup and
hands the request to the `Serve` the layer stack compiled for that route and method; the
innermost step of every stack is `answer`, the one place a handler's result becomes a
response and any failure becomes a problem answer.

On granian's RSGI interface the lookup is the same (`Server.rsgi`) and so is the stack,
with one difference at its two ends: a route that no middleware wraps and whose answer
is encoded whole is answered natively (`answer_rsgi`: its scope converted only as far as
its binders read it, the encoded result handed to granian in one call); every other
answer runs its ASGI `Serve` over the RSGI objects (`serve_over_rsgi`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any

from ._asgi import Receive, Scope, Send
from ._errors import MethodNotAllowedError
from ._plan import Encoder, Invoker, Responder, RSGIServe, Serve
from ._rendering.failures import answer_failure, send_crash
from ._rendering.negotiation import ProblemSender
from ._routing.router import Router
from ._rsgi.http import exchange, text_headers
from ._rsgi.request import RSGIRequest, rsgi_request
from ._rsgi.scope import http_scope
from ._rsgi.types import RSGIHTTPProtocol, RSGIScope
from ._static.files import StaticFiles

__all__ = [
    "Server",
    "answer",
    "answer_mounted",
    "answer_rsgi",
    "answer_unhandled",
    "serve_over_rsgi",
]


class Server:
    """A sealed app's HTTP side: the router, and the 404 for paths nothing serves."""

    __slots__ = ("_lookup", "_mount_for", "_not_found", "router")

    def __init__(self, router: Router, not_found: Serve) -> None:
        self.router = router
        self._lookup = router.lookup
        self._mount_for = router.mount_for
        self._not_found = not_found

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        """Find the route's `Serve` and return its coroutine (no frame of our own)."""
        path: str = scope["path"]
        if root_path := scope.get("root_path"):
            path = below_root(path, root_path)
        found = self._lookup(path)
        if found is None:
            mounted = self._mount_for(path)
            if mounted is None:
                return self._not_found(scope, receive, send, ())
            serve, rest = mounted
            return serve(scope, receive, send, (rest,))
        table, values = found
        serve = table.serves.get(scope["method"], table.unhandled)
        return serve(scope, receive, send, values)

    def rsgi(self, scope: RSGIScope, protocol: RSGIHTTPProtocol) -> Awaitable[None]:
        """The same lookup for an RSGI request (RSGI has no root path). granian makes a
        new object each time an attribute of its scope is read: each is read once."""
        path = scope.path
        found = self._lookup(path)
        if found is None:
            mounted = self._mount_for(path)
            if mounted is None:
                return _over_rsgi(self._not_found, scope, protocol, ())
            serve, rest = mounted
            return _over_rsgi(serve, scope, protocol, (rest,))
        table, values = found
        method = scope.method
        rsgi = table.rsgi.get(method)
        if rsgi is None:
            return _over_rsgi(table.unhandled, scope, protocol, values)
        return rsgi(rsgi_request(scope, protocol, method, path), values)


def answer(
    invoke: Invoker, respond: Responder, encode: Encoder | None, problem: ProblemSender
) -> Serve:
    """Bind and call the handler, then send its result: encoded here when the plan has
    an encoder (two `send`s, no further call), through `respond` otherwise (streams,
    held uploads). Any exception becomes the app's problem answer."""
    if encode is None:

        async def answer_responding(
            scope: Scope, receive: Receive, send: Send, values: Sequence[str]
        ) -> None:
            head = scope["method"] == "HEAD"
            try:
                await respond(send, await invoke(scope, receive, values), head, receive)
            except Exception as error:
                await answer_failure(error, send, head, scope, problem)

        return answer_responding

    async def answer_encoded(
        scope: Scope, receive: Receive, send: Send, values: Sequence[str]
    ) -> None:
        head = scope["method"] == "HEAD"
        try:
            status, headers, body = encode(await invoke(scope, receive, values))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else body})
        except Exception as error:
            await answer_failure(error, send, head, scope, problem)

    return answer_encoded


def answer_rsgi(invoke: Invoker, encode: Encoder, problem: ProblemSender) -> RSGIServe:
    """`answer`'s encoded path on RSGI: the encoded result goes to granian in one
    `response_bytes` call; a failure is the same problem answer, sent through the
    request's ASGI `send`."""

    async def answer_natively(request: RSGIRequest, values: Sequence[str]) -> None:
        head = request["method"] == "HEAD"
        try:
            status, headers, body = encode(await invoke(request, request.receive, values))
        except Exception as error:
            await answer_failure(error, request.send, head, request, problem)
            return
        request.protocol.response_bytes(status, text_headers(headers), b"" if head else body)

    return answer_natively


def serve_over_rsgi(serve: Serve, *, complete: bool) -> RSGIServe:
    """A route's ASGI `Serve` on RSGI. `complete`: middleware wraps the route, and
    middleware is ASGI code that may copy or iterate its scope, so it gets every key at
    once; else the request is the scope, converted as far as it is read."""
    if complete:

        def serve_completed(request: RSGIRequest, values: Sequence[str]) -> Awaitable[None]:
            return serve(http_scope(request.rsgi), request.receive, request.send, values)

        return serve_completed

    def serve_request(request: RSGIRequest, values: Sequence[str]) -> Awaitable[None]:
        return serve(request, request.receive, request.send, values)

    return serve_request


def _over_rsgi(
    serve: Serve, scope: RSGIScope, protocol: RSGIHTTPProtocol, values: Sequence[str]
) -> Coroutine[Any, Any, None]:
    """An answer given without a route's own entry (404, 405, OPTIONS, a static mount)."""
    served = exchange(scope, protocol)
    return serve(http_scope(scope), served.receive, served.send, values)


def answer_unhandled(allow: bytes, problem: ProblemSender) -> Serve:
    """A known path's answer to a method it has no handler for: OPTIONS is a 204 with
    `Allow`; anything else the 405 problem, built once per path."""
    options = [(b"allow", allow)]
    refusal = MethodNotAllowedError(headers={"allow": allow.decode("latin-1")})

    async def answer_without_handler(
        scope: Scope, receive: Receive, send: Send, values: Sequence[str]
    ) -> None:
        method: str = scope["method"]
        if method == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": options})
            await send({"type": "http.response.body", "body": b""})
            return
        await problem(send, refusal, method == "HEAD", scope)

    return answer_without_handler


def answer_mounted(files: StaticFiles, problem: ProblemSender) -> Serve:
    """A static mount; the slot value is the path below its prefix."""

    async def answer_file(
        scope: Scope, receive: Receive, send: Send, values: Sequence[str]
    ) -> None:
        try:
            await files(scope, receive, send, values[0])
        except Exception:
            await send_crash(send, scope["method"] == "HEAD", scope, problem)

    return answer_file


def below_root(path: str, root_path: str) -> str:
    """`path` seen from the app's mount point: "/api" is the root of "/api/x", not of
    "/apiary"."""
    if path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest[0] == "/":
            return rest or "/"
    return path
