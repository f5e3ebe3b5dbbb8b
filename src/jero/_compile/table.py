"""`RouteTable`: the routes and static mounts one `_wire` run includes, checked as they
come, and sealed into the immutable `Router` with every route's layer stack compiled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import WiringError
from .._middleware.chain import Middleware
from .._plan import HandlerPlan, RSGIServe, Serve
from .._routing.reverse import Handler, URLFor
from .._routing.router import MethodTable, Router
from .._routing.trie import RouteTrie
from .._static.mount import StaticMount
from .layers import LayerContext, stack_mount, stack_route, stack_unhandled


class _Route:
    """A plan as included, with the middleware of its mount."""

    __slots__ = ("middleware", "plan")

    def __init__(self, plan: HandlerPlan, middleware: Sequence[Middleware]) -> None:
        self.plan = plan
        self.middleware = tuple(middleware)


class RouteTable:
    """Collects plans by path shape and method during `_wire`; `seal` compiles them."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[str | None, ...], dict[str, _Route]] = {}
        self._mounts: dict[str, StaticMount] = {}
        self._reversals: list[URLFor[Any]] = []

    def add(
        self,
        plan: HandlerPlan,
        *,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        methods = self._shapes.setdefault(plan.template.segments, {})
        clash = methods.get(plan.http_method)
        if clash is not None:
            other = clash.plan
            raise WiringError(
                f"{plan.owner.__qualname__}.{plan.operation.name}: {plan.http_method} "
                f"{plan.path} clashes with {other.owner.__qualname__}.{other.operation.name} "
                f"({other.http_method} {other.path}): same method and path shape; give one "
                f"of them a different path"
            )
        methods[plan.http_method] = _Route(plan, middleware)

    def mount(self, mount: StaticMount) -> None:
        clash = self._mounts.get(mount.prefix)
        if clash is not None:
            raise WiringError(
                f"{mount.where}: the prefix {mount.prefix or '/'} is already mounted by "
                f"{clash.where}, so one of them could never be reached; mount a different prefix"
            )
        self._mounts[mount.prefix] = mount

    def reverse(self, handler: Handler, path_type: type[Any] | None, where: str) -> URLFor[Any]:
        """A URL builder for `handler`'s route, resolved when the table seals."""
        url_for: URLFor[Any] = URLFor(handler, path_type, where)
        self._reversals.append(url_for)
        return url_for

    def middleware_of(self, plan: HandlerPlan) -> tuple[Middleware, ...]:
        """The middleware of `plan`'s mount (what `include_route` was given)."""
        return self._shapes[plan.template.segments][plan.http_method].middleware

    def plans(self) -> list[HandlerPlan]:
        """Every included handler, in wiring order."""
        return [route.plan for methods in self._shapes.values() for route in methods.values()]

    def seal(self, ctx: LayerContext) -> Router:
        """Check what only the whole table shows, stack every route's layers, and build
        the router: from here on, nothing about the routes changes."""
        plans = self.plans()
        self._check_shadowed_files(plans)
        for url_for in self._reversals:
            url_for.resolve(plans)
        trie: RouteTrie[MethodTable] = RouteTrie()
        for segments, methods in self._shapes.items():
            trie.insert(segments, _seal_methods(methods, ctx))
        mounts = {
            prefix: stack_mount(mount.serve, prefix, ctx) for prefix, mount in self._mounts.items()
        }
        return Router(trie, mounts, plans)

    def _check_shadowed_files(self, plans: list[HandlerPlan]) -> None:
        """A route that matches a file below a mount always wins, so the file would be
        unreachable: refuse the wiring instead of hiding it."""
        for mount in self._mounts.values():
            prefix = tuple(mount.prefix.split("/")[1:]) if mount.prefix else ()
            for plan in plans:
                segments = plan.template.segments
                if segments == ("",) or segments[: len(prefix)] != prefix:
                    continue
                shadowed = mount.shadowed(segments[len(prefix) :])
                if shadowed is not None:
                    raise WiringError(
                        f"{plan.owner.__qualname__}.{plan.operation.name}: "
                        f"{plan.http_method} {plan.path} matches the file {shadowed!r} of "
                        f"{mount.where}; routes win over static files, so that file could "
                        f"never be served; move the route or the file"
                    )


def _seal_methods(methods: dict[str, _Route], ctx: LayerContext) -> MethodTable:
    """One path shape: HEAD is served by GET's stack, `Allow` always lists OPTIONS, and
    the unhandled answer is wrapped in every middleware the path's mounts use."""
    allowed = {*methods, "OPTIONS"}
    if "GET" in methods:
        allowed.add("HEAD")
    allow = ", ".join(sorted(allowed))
    allow_set = frozenset(allowed)
    stacks = {
        method: stack_route(route.plan, allow_set, ctx, middleware=route.middleware)
        for method, route in methods.items()
    }
    if "GET" in stacks:
        stacks.setdefault("HEAD", stacks["GET"])
    serves: dict[str, Serve] = {method: stack.serve for method, stack in stacks.items()}
    rsgi: dict[str, RSGIServe] = {method: stack.rsgi for method, stack in stacks.items()}
    path_middleware: list[Middleware] = []
    for route in methods.values():
        path_middleware.extend(
            m for m in route.middleware if all(m is not kept for kept in path_middleware)
        )
    first = next(iter(methods.values())).plan
    unhandled = stack_unhandled(
        allow.encode("latin-1"), first.path, ctx, middleware=path_middleware
    )
    return MethodTable(serves, rsgi, allow.encode("latin-1"), unhandled)
