"""Middleware chains: the blessed form, and how wiring compiles one per route.

A middleware is an object with `wrap(app, route) -> app`: it receives the ASGI app of
the next step and a `RouteInfo` describing the route, once, at wiring, and returns the
ASGI app to run instead. So whatever a middleware can decide from the route (its path
template, its methods, its response types) is decided at startup, and a route whose
chain is empty is not touched at all: the app's request path stays exactly as it is.

Why ASGI-level rather than a `Request -> Response` callable: jero has no request or
response objects to hand around (binding and encoding are compiled per handler), the
ASGI messages are the one representation every response (buffered, streamed, problem)
already has, and the whole ecosystem of ASGI middleware fits through `ASGIMiddleware`.

Every layer is guarded: an exception a middleware raises becomes a problem-details
response its outer layers see like any other response, and a layer that returns
without a complete response has it completed (a 500 problem when nothing was sent).
"""

from __future__ import annotations

import dataclasses
import logging
import typing
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._errors import ClientDisconnectError, HTTPError, InternalServerError, WiringError
from .._rendering.negotiation import ProblemSender, send_json_problem

__all__ = ["ASGIMiddleware", "Middleware", "RouteInfo"]

logger = logging.getLogger("jero")

_INTERNAL = InternalServerError()
_END: Message = {"type": "http.response.body", "body": b"", "more_body": False}
# How far a guarded layer's response went: nothing sent, its head sent, its end sent.
_NOTHING: int = 0
_STARTED: int = 1
_ENDED: int = 2
_GONE = "jero.client_gone"
"""Scope key a guard sets when its layer found the client gone."""


@dataclasses.dataclass(frozen=True, slots=True)
class RouteInfo:
    """What wiring knows about the route a middleware is wrapping.

    For a handler, `method` is its HTTP method (a GET handler also answers HEAD) and
    `path` its template, e.g. ``/widgets/{widget_id}``. For the answers jero gives
    without a handler, `method` is None: on a known path (`OPTIONS`, 405) `path` is the
    template; for a path no route matches (404) `path` is None too.
    """

    method: str | None
    path: str | None
    allow: frozenset[str]
    """Every method the path answers (the `Allow` header's set); empty for a 404."""
    name: str | None = None
    """``Class.operation`` of the handler, for logs."""
    media_types: frozenset[str | None] = frozenset()
    """The media types the handler's responses can have (None: chosen per response)."""
    streams: bool = False
    """Whether some response of the handler streams its body."""
    problem: ProblemSender = dataclasses.field(default=send_json_problem, compare=False, repr=False)
    """How the app answers errors, for a middleware that answers one itself:
    `await route.problem(send, error, head, scope)` (the app's error format)."""


@runtime_checkable
class Middleware(Protocol):
    """The blessed middleware form: compiled once per route, at wiring.

    `wrap(app, route)` returns the ASGI app that runs in place of `app` for `route`;
    it may return `app` itself for a route it has nothing to do on (that route then
    pays nothing for it).
    """

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp: ...


class ASGIMiddleware:
    """Plain ASGI middleware from the ecosystem (``SomeMiddleware(app, **options)``)
    used as a jero middleware: one instance per route it is wired on."""

    __slots__ = ("factory", "options")

    def __init__(self, factory: Callable[..., ASGIApp], /, **options: Any) -> None:
        self.factory = factory
        self.options = options

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        return self.factory(app, **self.options)

    def __repr__(self) -> str:
        return f"ASGIMiddleware({getattr(self.factory, '__qualname__', self.factory)!r})"


def check_middleware(middleware: object, where: str) -> tuple[Middleware, ...]:
    """Each item must be a `Middleware` (an object with a `wrap` method)."""
    if isinstance(middleware, str | bytes) or not isinstance(middleware, Sequence):
        raise WiringError(f"{where}: middleware= takes a list of middleware objects")
    checked: list[Middleware] = []
    items = typing.cast(Sequence[object], middleware)
    for item in items:
        if isinstance(item, list | tuple):
            kind = "list" if isinstance(item, list) else "tuple"
            raise WiringError(
                f"{where}: got a {kind} of middleware; pass each one as its "
                f"own argument: _include_middleware(a, b), not _include_middleware([a, b])"
            )
        if isinstance(item, type):
            raise WiringError(
                f"{where}: {item.__qualname__} is a class; pass an instance, "
                f"{item.__qualname__}(...)"
            )
        if not isinstance(item, Middleware) or not callable(item.wrap):
            name = type(item).__qualname__
            raise WiringError(
                f"{where}: {name} is not a jero middleware (an object with "
                f"`wrap(self, app, route) -> app`); for plain ASGI middleware "
                f"(`{name}(app)`), pass ASGIMiddleware({name}, ...) or wrap the whole "
                f"app: app = {name}(App())"
            )
        checked.append(item)
    return tuple(checked)


_SELF_GUARDED: set[type] = set()


def self_guarded[T: type](cls: T) -> T:
    """Mark one of jero's own middleware classes: it never raises nor leaves a response
    unfinished, so its layer needs no guard (the exact class only, not subclasses)."""
    _SELF_GUARDED.add(cls)
    return cls


def compose(
    app: ASGIApp, chain: Sequence[Middleware], route: RouteInfo, problem: ProblemSender
) -> ASGIApp:
    """`chain[0]` outermost; each layer guarded so its errors become responses."""
    if route.problem is not problem:
        route = dataclasses.replace(route, problem=problem)
    for middleware in reversed(chain):
        wrapped = middleware.wrap(app, route)
        if not callable(wrapped):
            raise WiringError(
                f"{type(middleware).__qualname__}.wrap returned {type(wrapped).__qualname__}, "
                f"not an ASGI app; return the app to run (or `app` itself to do nothing)"
            )
        if wrapped is not app and type(middleware) not in _SELF_GUARDED:
            wrapped = guarded(wrapped, _name(middleware), problem)
        app = wrapped
    return app


def _name(middleware: Middleware) -> str:
    """The layer's name in the logs: its class, or the ASGI middleware it adapts."""
    if isinstance(middleware, ASGIMiddleware):
        factory = middleware.factory
        return f"ASGIMiddleware({getattr(factory, '__qualname__', type(factory).__qualname__)})"
    return type(middleware).__qualname__


def guarded(app: ASGIApp, name: str, problem: ProblemSender) -> ASGIApp:
    """`app`, whose exceptions become problem responses and whose unfinished responses
    are finished.

    One guard per layer, not one for the chain: an answer given here passes through the
    layers outside like any response (their headers, their compression, their logs),
    and whether the layer's own response started is known only where it sends it (a
    layer outside may hold the head back). So the layer's `send` notes that progress:
    a plain function returning the outer `send`'s awaitable, no coroutine of its own
    per message; a layer that answers completely costs the guard nothing more."""

    async def run(scope: Scope, receive: Receive, send: Send) -> None:
        stage = _NOTHING

        def tracked(message: Message) -> Awaitable[None]:
            nonlocal stage
            kind = message["type"]
            if kind == "http.response.body":
                if not message.get("more_body"):
                    stage = _ENDED
            elif kind == "http.response.start":
                stage = _STARTED
            elif kind == "http.response.pathsend":
                stage = _ENDED
            return send(message)

        try:
            await app(scope, receive, tracked)
        except ClientDisconnectError:
            scope[_GONE] = True  # the layers outside have nobody to answer either
            return
        except Exception as error:
            await _recover(error, scope, tracked, stage=stage, name=name, problem=problem)
            return
        if stage == _ENDED:
            return
        if stage == _STARTED:
            await tracked(_END)
            return
        if _GONE in scope:
            return
        logger.error(
            "Middleware %s returned without sending a response to %s %s",
            name,
            scope.get("method"),
            scope.get("path"),
        )
        await problem(tracked, _INTERNAL, scope.get("method") == "HEAD", scope)

    return run


async def _recover(
    error: Exception,
    scope: Scope,
    send: Send,
    *,
    stage: int,
    name: str,
    problem: ProblemSender,
) -> None:
    """A layer raised: its problem answer when nothing was sent yet; once the response
    started, too late for a status, the log says it and the body is ended."""
    head = scope.get("method") == "HEAD"
    started, ended = stage != _NOTHING, stage == _ENDED
    if isinstance(error, HTTPError):
        answer = typing.cast(HTTPError[Any], error)
        if started:
            logger.error("Middleware %s raised %r after the response started", name, answer)
            await _finish(send, ended)
            return
        try:
            await problem(send, answer, head, scope)
            return
        except Exception as failure:  # answered as the crash it now is
            error = failure
    logger.error(
        "Unhandled error in middleware %s for %s %s",
        name,
        scope.get("method"),
        scope.get("path"),
        exc_info=error,
    )
    if started:
        await _finish(send, ended)
        return
    try:
        await problem(send, _INTERNAL, head, scope)
    except Exception:  # the client is gone: nothing more can be told to it
        return


async def _finish(send: Send, ended: bool) -> None:
    if ended:
        return
    try:
        await send(_END)
    except Exception:
        return
