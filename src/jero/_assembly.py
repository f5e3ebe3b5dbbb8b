"""`Assembly`: the state of one `_wire` run. Every `_include_*` of the app lands here,
checked as it comes; `seal()` compiles it into the `Server` that answers requests.

Nothing here runs per request. An assembly lives from the start of `_wire` to its seal
and is dropped after, whether the run succeeded or failed.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._asgi import Receive, Scope, Send
from ._auth import inspect_auth
from ._binding.base import Limits
from ._channels.checks import check_route_feeds, check_socket_feeds
from ._compile.handlers import plan_routes
from ._compile.layers import LayerContext, stack_not_found
from ._compile.table import RouteTable
from ._errors import NotFoundError, WiringError
from ._errors_format import AppErrors
from ._middleware.chain import Middleware, check_middleware
from ._openapi import DocsPage, DocumentInfo, OpenAPISite
from ._plan import Serve
from ._protection.checks import check_protection
from ._rendering.negotiation import ProblemSender
from ._routes import Endpoint, Resource
from ._routing.reverse import Handler, URLFor
from ._routing.router import Router
from ._serve import Server
from ._static.mount import plan_static
from ._streaming.drive import ActiveStreams
from ._telemetry import Tracing
from ._websockets.asyncapi import (
    AsyncAPIDocument,
    AsyncAPIInfo,
    asyncapi_endpoint,
    publish_asyncapi,
)
from ._websockets.endpoint import WebSocketEndpoint, WebSocketLimits
from ._websockets.routes import WebSocketRoutes
from ._websockets.wiring import plan_socket

__all__ = ["AppOptions", "Assembly", "JeroState", "Sealed"]

_NOT_FOUND = NotFoundError()


@dataclasses.dataclass(frozen=True, slots=True)
class AppOptions:
    """What the app's constructor decided, for every route it wires."""

    owner: str
    """The app class's name, for error messages."""
    errors: AppErrors
    """The app's error format and input statuses, compiled."""
    limits: Limits
    msgpack: bool

    @property
    def problem(self) -> ProblemSender:
        """How the app answers every error."""
        return self.errors.sender


@dataclasses.dataclass(frozen=True, slots=True)
class Sealed:
    """What a completed `_wire` run leaves: the request server and the OpenAPI site."""

    server: Server
    openapi: OpenAPISite | None


class JeroState:
    """What tooling may read of a running app (`app.jero`): its routes once wiring
    completed, its OpenAPI site, and what failed the last startup."""

    __slots__ = ("sealed", "startup_error")

    def __init__(self) -> None:
        self.sealed: Sealed | None = None
        self.startup_error: BaseException | None = None
        """What failed the last startup, for test clients that re-raise it."""

    def failed(self, error: BaseException) -> None:
        self.startup_error = error

    @property
    def router(self) -> Router | None:
        """The sealed router once wiring completed (for tooling such as `jero routes`)."""
        return None if self.sealed is None else self.sealed.server.router

    @property
    def openapi(self) -> OpenAPISite | None:
        """What `_include_openapi` set up, once wiring completed; None without it."""
        return None if self.sealed is None else self.sealed.openapi


class Assembly:
    """Routes, mounts, middleware and documents included by one `_wire` run."""

    def __init__(
        self, options: AppOptions, streams: ActiveStreams, websockets: WebSocketRoutes
    ) -> None:
        self._options = options
        self._streams = streams
        self._websockets = websockets
        self._table = RouteTable()
        self._middleware: list[Middleware] = []
        self._openapi: OpenAPISite | None = None
        self._asyncapi: AsyncAPIDocument | None = None

    def include_route(
        self,
        route: object,
        kind: type,
        auth: object | None,
        *,
        public: Collection[str] = (),
        limits: Limits | None = None,
        middleware: Sequence[object] = (),
    ) -> None:
        """Every operation of a `Resource` / `Endpoint` instance, read and checked."""
        if isinstance(route, type):
            raise WiringError(_class_not_instance(route, kind))
        if not isinstance(route, kind):
            raise WiringError(
                f"{type(route).__qualname__} is not {_article(kind)} {kind.__name__}; pass it to "
                f"_include_{'resource' if kind is Endpoint else 'endpoint'} instead"
            )
        where = type(route).__qualname__
        plan = None if auth is None else inspect_auth(auth, where)
        if limits is None:
            limits = self._options.limits
        elif not isinstance(typing.cast(object, limits), Limits):
            raise WiringError(f"{where}: limits= takes a jero.Limits, got {limits!r}")
        chain: tuple[Middleware, ...] = ()
        if not (isinstance(middleware, tuple) and not middleware):
            chain = check_middleware(
                middleware, f"{self._options.owner}: the middleware= of {where}"
            )
        msgpack = self._options.msgpack
        handlers = plan_routes(route, limits, plan, public=public, msgpack=msgpack)
        check_route_feeds(route, handlers)  # a channel Feed it holds must fit a stream
        for handler in handlers:
            self._table.add(handler, middleware=chain)

    def include_middleware(self, middleware: Sequence[object]) -> None:
        """App-wide middleware: every route, every mount, and the 404."""
        where = f"{self._options.owner}._include_middleware"
        self._middleware.extend(check_middleware(middleware, where))

    def include_websocket(
        self,
        endpoint: WebSocketEndpoint,
        auth: object | None,
        limits: WebSocketLimits | None,
        *,
        tracing: Tracing | None = None,
    ) -> None:
        plan = None if auth is None else inspect_auth(auth, type(endpoint).__qualname__)
        socket = plan_socket(endpoint, limits or WebSocketLimits(), plan)
        check_socket_feeds(socket)  # a channel Feed it holds must fit its WebSocket[Out]
        layer = None if tracing is None else tracing.socket_layer(socket.path)
        self._websockets.add(socket, layer)

    def include_asyncapi(self, info: AsyncAPIInfo, path: str) -> None:
        document = asyncapi_endpoint(path, self._websockets.plans, info)
        self.include_route(document, Endpoint, None)
        self._asyncapi = document

    def include_openapi(
        self,
        info: DocumentInfo,
        path: str,
        docs_path: str | None,
        docs: DocsPage,
    ) -> None:
        if self._openapi is not None:
            raise WiringError(f"{self._options.owner}: _include_openapi was already called")
        site = OpenAPISite(info, path, docs_path, docs)
        for route in site.routes():
            self.include_route(route, Endpoint, None)
        self._openapi = site

    def include_static(
        self,
        prefix: str,
        *,
        directory: Path | str,
        cache_control: str | None,
        precompressed: bool,
        fallback: str | None,
        media_types: Mapping[str, str] | None,
    ) -> None:
        mount = plan_static(
            self._options.owner,
            prefix,
            directory=directory,
            cache_control=cache_control,
            precompressed=precompressed,
            fallback=fallback,
            media_types=media_types,
            problem=self._options.problem,
        )
        self._table.mount(mount)

    def url_for(self, handler: Handler, path_type: type[Any] | None, where: str) -> URLFor[Any]:
        return self._table.reverse(handler, path_type, where)

    def seal(self) -> Sealed:
        """Check what needs every route's final chain, publish the documents, compile
        every route's layer stack and build the server."""
        app_wide = tuple(self._middleware)
        check_protection(
            self._table.plans(), lambda plan: (*app_wide, *self._table.middleware_of(plan))
        )
        if self._openapi is not None:
            self._openapi.publish(self._table.plans(), self._options.errors)
        if self._asyncapi is not None:
            publish_asyncapi(self._asyncapi)
        ctx = LayerContext(self._options.problem, self._streams, tuple(self._middleware))
        router = self._table.seal(ctx)
        not_found = stack_not_found(_answer_not_found(self._options.problem), ctx)
        return Sealed(Server(router, not_found), self._openapi)


def _answer_not_found(problem: ProblemSender) -> Serve:
    async def answer_not_found(
        scope: Scope, receive: Receive, send: Send, values: Sequence[str]
    ) -> None:
        await problem(send, _NOT_FOUND, scope["method"] == "HEAD", scope)

    return answer_not_found


def _article(kind: type) -> str:
    return "an" if kind.__name__[0] in "AEIOU" else "a"


def _class_not_instance(route: type, kind: type) -> str:
    """The advice for `_include_resource(Books)`: the class where an instance belongs."""
    name, method = route.__qualname__, f"_include_{kind.__name__.lower()}"
    if issubclass(route, Resource | Endpoint) and not issubclass(route, kind):
        method = f"_include_{'resource' if issubclass(route, Resource) else 'endpoint'}"
    return f"{name} is a class; pass an instance: self.{method}({name}())"
