"""Wiring-time bookkeeping of middleware: what is app-wide, what belongs to which mount,
and compiling every route's chain once the router is sealed.

A wired route whose chain is empty keeps its `HandlerPlan` untouched. A route with a
chain gets a plan whose `invoke` only stores the slot values on the scope and whose
`respond` runs the composed chain (`encode` is None, so the app calls `respond`, as it
does for streams): the app's request path needs no branch for middleware at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from .._asgi import ASGIApp, Receive, Scope, Send
from .._rendering.negotiation import ProblemSender
from .._routing.router import MethodTable, Router
from .._wiring import HandlerPlan
from .chain import Middleware, RouteInfo, check_middleware, compose

__all__ = ["MiddlewareWiring"]

PATH_VALUES = "jero.path_values"
"""Scope key carrying the matched slot values from the app to the route's own step."""

_NOT_FOUND_ROUTE = RouteInfo(method=None, path=None, allow=frozenset())


class MiddlewareWiring:
    """Collects middleware during `_wire`; `compile` applies it to the sealed router."""

    def __init__(
        self, owner: str, problem: ProblemSender, route_app: Callable[[HandlerPlan], ASGIApp]
    ) -> None:
        """`problem` answers errors the way the app does; `route_app(plan)` is a handler
        as the innermost step of a chain (the app's own request steps, slot values read
        from `scope[PATH_VALUES]`)."""
        self._owner = owner
        self._problem = problem
        self._route_app = route_app
        self._app_wide: list[Middleware] = []
        self._mounts: dict[int, tuple[HandlerPlan, tuple[Middleware, ...]]] = {}

    def include(self, middleware: Sequence[object]) -> None:
        """App-wide middleware: every route, and the answers given without a handler."""
        where = f"{self._owner}._include_middleware"
        self._app_wide.extend(check_middleware(middleware, where))

    def attach(self, plan: HandlerPlan, middleware: Sequence[object]) -> HandlerPlan:
        """Remember the mount's middleware for `plan`; returns `plan` unchanged."""
        if isinstance(middleware, tuple) and not middleware:
            return plan
        where = f"{self._owner}: the middleware= of {plan.owner.__qualname__}"
        checked = check_middleware(middleware, where)
        if checked:
            self._mounts[id(plan)] = (plan, checked)
        return plan

    def compile(
        self,
        router: Router,
        not_found: ASGIApp,
        unhandled: Callable[[MethodTable], ASGIApp],
    ) -> ASGIApp:
        """Wrap every route that has a chain, give every path its answer to methods it
        has no handler for (`unhandled(table)`, wrapped where there is middleware), and
        return the (maybe wrapped) 404 answer."""
        for table in router.tables():
            table.unhandled = unhandled(table)
            self._compile_table(table)
        if not self._app_wide:
            return not_found
        return compose(not_found, self._app_wide, _NOT_FOUND_ROUTE, self._problem)

    def _compile_table(self, table: MethodTable) -> None:
        allow = frozenset(table.allow.decode("latin-1").split(", "))
        done: dict[int, HandlerPlan] = {}
        mount_chain: list[Middleware] = []
        path: str | None = None
        for method, plan in list(table.methods.items()):
            path = path or plan.path
            mounted = self._mounts.get(id(plan), (plan, ()))[1]
            mount_chain.extend(m for m in mounted if all(m is not k for k in mount_chain))
            chain = [*self._app_wide, *mounted]
            if not chain:
                continue
            wrapped = done.get(id(plan))
            if wrapped is None:
                info = _route_info(plan, allow)
                app = compose(self._route_app(plan), chain, info, self._problem)
                wrapped = done[id(plan)] = _entering(plan, app)
            table.methods[method] = wrapped
        chain = [*self._app_wide, *mount_chain]
        if chain:
            info = RouteInfo(method=None, path=path, allow=allow)
            table.unhandled = compose(table.unhandled, chain, info, self._problem)


def _route_info(plan: HandlerPlan, allow: frozenset[str]) -> RouteInfo:
    shapes = plan.render.shapes
    return RouteInfo(
        method=plan.http_method,
        path=plan.path,
        allow=allow,
        name=f"{plan.owner.__name__}.{plan.operation.name}",
        media_types=frozenset(shape.media_type for shape in shapes),
        streams=plan.render.streams,
    )


def _entering(plan: HandlerPlan, app: ASGIApp) -> HandlerPlan:
    """A plan the app runs as usual, whose `respond` enters the route's chain `app`."""

    async def invoke(scope: Scope, receive: Receive, values: Sequence[str]) -> Scope:
        scope[PATH_VALUES] = values
        return scope

    async def respond(send: Send, scope: Scope, head: bool, receive: Receive) -> None:
        await app(scope, receive, send)

    return dataclasses.replace(plan, invoke=invoke, respond=respond, encode=None)
