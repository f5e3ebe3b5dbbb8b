"""The one place that stacks a route's request-time layers.

`handlers.py` reads a handler into a plan that only binds and calls. Here, once per
route at wiring, every cross-cutting capability the route uses is stacked around it, in
this order (innermost first):

| #  | layer             | wraps    | applies to                                              |
| -- | ----------------- | -------- | ------------------------------------------------------- |
| 1  | bind + call       | (core)   | every route: `plan.invoke` as `handlers.py` built it    |
| 2  | negotiate         | invoke   | MessagePack apps, routes whose MessagePack bytes differ |
| 3  | authenticate      | invoke   | `auth=` routes whose handler does not take `user`       |
| 4  | release held      | both     | routes with spooled upload parts                        |
| 5  | conditional       | both     | GET routes with `conditions` or a typed `etag` header   |
| 6  | track streams     | respond  | streaming routes (shutdown ends them first)             |
| 7  | answer            | (core)   | every route: invoke → encode/respond → send, one        |
|    |                   |          | try/except turning failures into problem answers        |
| 8  | middleware        | serve    | the mount's, inside the app-wide ones; jero's own       |
|    |                   |          | capabilities (rate limits, sessions, tracing, metrics)  |
|    |                   |          | are middleware of this form                             |
| 9  | RSGI              | (core)   | every route: its entry for granian's native interface   |

Layers 2 to 6 change the plan's `invoke` / `respond` / `encode`; layer 7 turns the plan
into the route's `Serve`; layer 8 wraps that `Serve`; layer 9 gives the route its RSGI
entry: a native answer where nothing wraps an encoded answer, else the `Serve` itself
over the RSGI objects. A layer that does not apply
returns what it was given, so a route pays only for what it uses: a middleware whose
`wrap` returns the app it was given (a rate limit on another route, telemetry that
excludes the route) leaves the route exactly as it was. A new cross-cutting capability
is a `Middleware` (`_middleware/chain.py`) in a package of its own, not an edit here.

The answers given without a handler (404, 405, OPTIONS) and static mounts get the layers
that make sense for them: the answer step and the middleware.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any

from .._asgi import ASGIApp, Receive, Scope, Send
from .._conditional.plan import conditional_plan
from .._middleware.chain import Middleware, RouteInfo, compose
from .._plan import HandlerPlan, Release, Responder, RSGIServe, Serve
from .._rendering.negotiation import ProblemSender, negotiated, negotiating
from .._serve import answer, answer_mounted, answer_rsgi, answer_unhandled, serve_over_rsgi
from .._static.files import StaticFiles
from .._streaming.drive import ActiveStreams

__all__ = [
    "LayerContext",
    "Stacked",
    "stack_mount",
    "stack_not_found",
    "stack_route",
    "stack_unhandled",
]

PATH_VALUES = "jero.path_values"
"""Scope key carrying the matched slot values through a middleware chain."""


@dataclasses.dataclass(frozen=True, slots=True)
class LayerContext:
    """What the stack needs from the app: how it answers problems, the streams it ends
    at shutdown, and its app-wide middleware."""

    problem: ProblemSender
    streams: ActiveStreams
    app_middleware: tuple[Middleware, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Stacked:
    """A route's compiled stack, entered from ASGI (`serve`) or from RSGI (`rsgi`)."""

    serve: Serve
    rsgi: RSGIServe


def stack_route(
    plan: HandlerPlan,
    allow: frozenset[str],
    ctx: LayerContext,
    *,
    middleware: Sequence[Middleware] = (),
) -> Stacked:
    """The route's `Serve`s: `plan` with every layer it uses, in the table's order."""
    plan = _negotiate(plan)
    plan = _authenticate(plan)
    plan = _release_held(plan)
    plan = _conditional(plan)
    plan = _track_streams(plan, ctx.streams)
    answered = answer(plan.invoke, plan.respond, plan.encode, ctx.problem)
    chain = [*ctx.app_middleware, *middleware]
    serve = _middleware(answered, chain, route_info(plan, allow), ctx)
    return Stacked(serve, _rsgi(plan, answered, serve, ctx))


def stack_unhandled(
    allow: bytes, path: str, ctx: LayerContext, *, middleware: Sequence[Middleware] = ()
) -> Serve:
    """A known path's answer to a method it has no handler for (OPTIONS, 405)."""
    serve = answer_unhandled(allow, ctx.problem)
    methods = frozenset(allow.decode("latin-1").split(", "))
    info = RouteInfo(method=None, path=path, allow=methods)
    return _middleware(serve, [*ctx.app_middleware, *middleware], info, ctx)


def stack_not_found(not_found: Serve, ctx: LayerContext) -> Serve:
    """The 404 of a path no route and no mount serves."""
    info = RouteInfo(method=None, path=None, allow=frozenset())
    return _middleware(not_found, ctx.app_middleware, info, ctx)


def stack_mount(files: StaticFiles, prefix: str, ctx: LayerContext) -> Serve:
    """A static mount: its slot value is the path below the prefix."""
    info = RouteInfo(method="GET", path=f"{prefix}/{{path}}", allow=frozenset({"GET", "HEAD"}))
    return _middleware(answer_mounted(files, ctx.problem), ctx.app_middleware, info, ctx)


def route_info(plan: HandlerPlan, allow: frozenset[str]) -> RouteInfo:
    shapes = plan.render.shapes
    return RouteInfo(
        method=plan.http_method,
        path=plan.path,
        allow=allow,
        name=plan.name,
        media_types=frozenset(shape.media_type for shape in shapes),
        streams=plan.render.streams,
    )


# --- 2: negotiate -------------------------------------------------------------------


def _negotiate(plan: HandlerPlan) -> HandlerPlan:
    """MessagePack answers where the client prefers them and they differ from JSON's."""
    twin = plan.msgpack_render
    if twin is None or _codec_free(plan):
        return plan
    render = negotiated(plan.render, twin)
    return dataclasses.replace(
        plan, invoke=negotiating(plan.invoke), respond=render.responder, encode=render.encode
    )


def _codec_free(plan: HandlerPlan) -> bool:
    """Every outcome is `str`, `bytes` or bodiless: MessagePack would send the same."""
    return all(shape.media_type != "application/json" for shape in plan.render.shapes)


# --- 3: authenticate ----------------------------------------------------------------


def _authenticate(plan: HandlerPlan) -> HandlerPlan:
    """Every handler of an authenticated mount authenticates, whether or not it takes
    the user (a `user` binder runs first by its phase, so that one needs no guard)."""
    auth = plan.auth
    if auth is None or "user" in plan.parameters:
        return plan
    authenticate = auth.authenticate
    invoke = plan.invoke

    async def invoke_authenticated(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        await authenticate(scope)
        return await invoke(scope, receive, values)

    return dataclasses.replace(plan, invoke=invoke_authenticated)


# --- 4: release held ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Held:
    """A handler's result travelling from `invoke` to `respond` with its request."""

    value: Any
    scope: Scope


def _release_held(plan: HandlerPlan) -> HandlerPlan:
    """What binding held (spooled uploads) is released once the response is sent, or as
    soon as binding or the handler fails. The response goes through `respond`."""
    if not plan.releases:
        return plan
    invoke, respond = plan.invoke, plan.respond
    release = _release_all(plan.releases)

    async def invoke_holding(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        try:
            return _Held(await invoke(scope, receive, values), scope)
        except BaseException:
            release(scope)
            raise

    async def respond_releasing(send: Send, held: _Held, head: bool, receive: Receive) -> None:
        try:
            await respond(send, held.value, head, receive)
        finally:
            release(held.scope)

    return dataclasses.replace(plan, invoke=invoke_holding, respond=respond_releasing, encode=None)


def _release_all(releases: tuple[Release, ...]) -> Release:
    def release(scope: Scope) -> None:
        for each in releases:
            each(scope)

    return release


# --- 5: conditional -----------------------------------------------------------------


def _conditional(plan: HandlerPlan) -> HandlerPlan:
    invoke, respond, encode = conditional_plan(
        plan.http_method,
        plan.parameters,
        plan.render,
        invoke=plan.invoke,
        respond=plan.respond,
        encode=plan.encode,
    )
    if invoke is plan.invoke:
        return plan
    return dataclasses.replace(plan, invoke=invoke, respond=respond, encode=encode)


# --- 6: track streams ---------------------------------------------------------------


def _track_streams(plan: HandlerPlan, streams: ActiveStreams) -> HandlerPlan:
    """A streamed body outlives the handler call: shutdown must be able to end it."""
    if not plan.render.streams:
        return plan
    respond: Responder = streams.guard(plan.respond)
    return dataclasses.replace(plan, respond=respond)


# --- 8: middleware -------------------------------------------------------------


def _middleware(
    serve: Serve, chain: Sequence[Middleware], info: RouteInfo, ctx: LayerContext
) -> Serve:
    """`serve` inside `chain` (first outermost). The slot values travel on the scope,
    since a middleware is an ASGI app; a route that no middleware wraps (none, or each
    returned the app it was given) is returned as is."""
    if not chain:
        return serve

    def innermost(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return serve(scope, receive, send, scope[PATH_VALUES])

    app: ASGIApp = compose(innermost, chain, info, ctx.problem)
    if app is innermost:
        return serve

    # Plain functions handing on the next step's coroutine: no frame of their own. What
    # `app` returns is a coroutine: a guard's, a middleware's own, or `serve`'s through
    # jero's pass-through layers.
    def enter(
        scope: Scope, receive: Receive, send: Send, values: Sequence[str]
    ) -> Coroutine[Any, Any, None]:
        scope[PATH_VALUES] = values
        return app(scope, receive, send)  # type: ignore[return-value]

    return enter


# --- 9: RSGI ------------------------------------------------------------------------


def _rsgi(plan: HandlerPlan, answered: Serve, serve: Serve, ctx: LayerContext) -> RSGIServe:
    """Middleware is ASGI code, so a wrapped route runs its ASGI stack with a complete
    scope; an unwrapped one converts only what its binders read, and answers natively
    when its answer is encoded whole."""
    if serve is not answered:
        return serve_over_rsgi(serve, complete=True)
    if plan.encode is not None:
        return answer_rsgi(plan.invoke, plan.encode, ctx.problem)
    return serve_over_rsgi(serve, complete=False)
