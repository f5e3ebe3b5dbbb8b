"""`BaseApp`: what users subclass. Its constructor takes the app's options; `_wire` and
the `_include_*` delegates fill an `Assembly` during startup, which seals into the
`Server` that answers requests (`_serve.py` has the request path); the rest is ASGI
dispatch, the lifespan protocol and the lifecycle of entered services.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import types
import typing
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, ClassVar, overload

import msgspec

from ._asgi import Receive, Scope, Send
from ._assembly import AppOptions, Assembly, JeroState
from ._binding.base import Limits
from ._errors import ServiceUnavailableError, WiringError
from ._errors_format import ErrorFormat, InputStatuses, compile_errors
from ._lifecycle import BaseFactory, LifecycleOwner, check_factory
from ._lifespan import serve_lifespan
from ._middleware.chain import Middleware
from ._openapi import DEFAULT_DOCS_PAGE, DocsPage, DocumentInfo, SchemaHook, Server
from ._routes import Endpoint, Resource
from ._routing.reverse import Handler, URLFor
from ._rsgi import serve as rsgi_serve
from ._rsgi import shutdown as rsgi_shutdown
from ._rsgi import startup as rsgi_startup
from ._rsgi.types import RSGIScope
from ._services import ServiceOwner
from ._streaming.drive import ActiveStreams
from ._telemetry import (
    Health,
    HealthCheck,
    Tracing,
    health_endpoints,
    prometheus_endpoint,
    worker_exit,
)
from ._websockets.asyncapi import AsyncAPIInfo
from ._websockets.endpoint import WebSocketEndpoint, WebSocketLimits
from ._websockets.routes import WebSocketRoutes
from ._wire_advice import check_wire_spelling

__all__ = ["BaseApp"]

logger = logging.getLogger("jero")
_NOT_READY = ServiceUnavailableError()


class BaseApp[F: BaseFactory = BaseFactory](ServiceOwner):
    """Subclass it, implement `_wire`, and serve an instance with any ASGI 3 server.

    `_wire` runs once, during lifespan startup: it enters services with `_enter` /
    `_aenter` and includes routes with `_include_resource` / `_include_endpoint`. A
    failure there unwinds what was entered and refuses the startup.

    `App(msgpack=True)` speaks MessagePack next to JSON: `json` bodies may come as
    `application/msgpack`, and a request whose `Accept` prefers it gets MessagePack
    bodies and `application/problem+msgpack` errors. JSON stays the default.

    `error_format=` (an `ErrorFormat`) decides the media type and body of every error
    answer, RFC 9457 problem details by default; `input_statuses=` (`InputStatuses`)
    whether unreadable input answers 400/404 or 422. See docs/errors.md.
    """

    __factory_type: ClassVar[type[BaseFactory]] = BaseFactory

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in types.get_original_bases(cls):
            if typing.get_origin(base) is BaseApp:
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and issubclass(arg, BaseFactory):
                    cls.__factory_type = arg

    def __init__(
        self,
        *,
        factory: F | None = None,
        limits: Limits | None = None,
        msgpack: bool = False,
        error_format: ErrorFormat[Any] | None = None,
        input_statuses: InputStatuses | None = None,
    ) -> None:
        if factory is not None:
            check_factory(type(self).__name__, type(self).__factory_type, factory)
        errors = compile_errors(type(self).__name__, error_format, input_statuses, msgpack=msgpack)
        self.__options = AppOptions(
            type(self).__name__, errors, limits if limits is not None else Limits(), msgpack
        )
        self.__injected_factory = factory
        self.__factory: F | None = None
        self.__assembly: Assembly | None = None
        self.__stack: AsyncExitStack | None = None
        self.__streams = ActiveStreams()
        self.__websockets = WebSocketRoutes(self.__options.problem)
        self.__serve_http: Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]] = (
            self.__answer_not_ready
        )
        self.__serve_rsgi: Callable[[RSGIScope, Any], Awaitable[None]] = self.__rsgi_not_ready
        self.jero = JeroState()
        """Read-only facts for tooling (`jero routes`, the test client): see `JeroState`."""

    # --- what a subclass calls on itself -----------------------------------------

    async def _wire(self) -> None:
        """Override: enter services and include routes. Runs once, at startup."""

    @property
    def _factory(self) -> F:
        """The app's factory, built at startup (or the one passed as `factory=`)."""
        if self.__factory is None:
            raise RuntimeError(f"{type(self).__name__}._factory exists only once startup began")
        return self.__factory

    def _include_resource(
        self,
        resource: Resource,
        *,
        auth: object | None = None,
        public: Collection[str] = (),
        limits: Limits | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Wire every operation `resource` defines; a bad one is a `WiringError`.

        `auth=` is an authenticator (an object with `authenticate(self, headers: H) -> U`):
        every operation then authenticates before anything else is read, except those
        named in `public=` (e.g. `("read_many", "read_one")`), which need no credentials
        (one that takes `user` declares `user: U | None`). `limits=` replaces the app's
        `Limits` for this mount's operations. `middleware=` wraps every operation of this
        mount (first listed is outermost), inside the app-wide middleware.
        """
        self.__assembling("_include_resource").include_route(
            resource, Resource, auth, public=public, limits=limits, middleware=middleware
        )

    def _include_endpoint(
        self,
        endpoint: Endpoint,
        *,
        auth: object | None = None,
        public: Collection[str] = (),
        limits: Limits | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Wire every verb `endpoint` defines; a bad one is a `WiringError`.

        `auth=`, `public=` (verb names, e.g. `("get",)`), `limits=` and `middleware=` are
        as for `_include_resource`.
        """
        self.__assembling("_include_endpoint").include_route(
            endpoint, Endpoint, auth, public=public, limits=limits, middleware=middleware
        )

    def _include_middleware(self, *middleware: Middleware) -> None:
        """App-wide middleware (first listed is outermost): it wraps every route of the
        app, wherever in `_wire` it is included, its static mounts, and the answers given
        without a handler (404, 405, OPTIONS). Each chain is composed once, when `_wire`
        returns.
        """
        self.__assembling("_include_middleware").include_middleware(middleware)

    def _include_websocket(
        self,
        endpoint: WebSocketEndpoint,
        *,
        auth: object | None = None,
        limits: WebSocketLimits | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        """Wire a `WebSocketEndpoint`'s hooks; a bad one is a `WiringError`.

        `auth=` is an authenticator, as for `_include_resource`: it runs before the socket
        is accepted. `limits=` bounds what each client may send (see `WebSocketLimits`).
        `tracing=` (a `Tracing`) gives each session a span (see docs/observability.md).
        """
        self.__assembling("_include_websocket").include_websocket(
            endpoint, auth, limits, tracing=tracing
        )

    def _include_asyncapi(
        self,
        *,
        title: str,
        version: str,
        path: str = "/asyncapi.json",
        description: str | None = None,
    ) -> None:
        """Serve the AsyncAPI 3.0 document of every included WebSocket at `path`
        (OpenAPI cannot describe message exchanges; see docs/websockets.md)."""
        info = AsyncAPIInfo(title, version, description)
        self.__assembling("_include_asyncapi").include_asyncapi(info, path)

    def _include_openapi(
        self,
        *,
        title: str,
        version: str,
        path: str = "/openapi.json",
        docs_path: str | None = "/docs",
        docs: DocsPage = DEFAULT_DOCS_PAGE,
        servers: Sequence[Server] = (),
        description: str | None = None,
        docstrings: bool = False,
        schema_hook: SchemaHook | None = None,
    ) -> None:
        """Serve the OpenAPI 3.1 document of every included route at `path`, and an
        interactive page at `docs_path` (`docs=SwaggerUI()` or `Scalar()`, each with
        settable asset URLs; `docs_path=None` for no page). The document is built and
        encoded once, when `_wire` returns; a route it cannot describe fails the startup
        with a `WiringError`.
        """
        info = DocumentInfo(
            title=title,
            version=version,
            description=description,
            servers=servers,
            docstrings=docstrings,
            schema_hook=schema_hook,
        )
        self.__assembling("_include_openapi").include_openapi(info, path, docs_path, docs)

    def _include_static(
        self,
        prefix: str,
        *,
        directory: Path | str,
        cache_control: str | None = None,
        precompressed: bool = False,
        fallback: str | None = None,
        media_types: Mapping[str, str] | None = None,
    ) -> None:
        """Serve the files below `directory` at `prefix` (GET and HEAD), with `ETag`,
        `Last-Modified`, conditional requests, byte ranges and, with `precompressed=True`,
        `.br`/`.gz` siblings chosen by `Accept-Encoding`. `fallback` is a file (such as
        "index.html") answered for paths that name no file and no file extension. Routes
        win over the mount; see docs/static.md.
        """
        self.__assembling("_include_static").include_static(
            prefix,
            directory=directory,
            cache_control=cache_control,
            precompressed=precompressed,
            fallback=fallback,
            media_types=media_types,
        )

    def _include_prometheus(self, path: str = "/metrics") -> None:
        """Serve the Prometheus exposition of the app's metrics at `path` (recorded by
        `Metrics(prometheus=True)`), summed over every worker when the environment sets
        `PROMETHEUS_MULTIPROC_DIR`; see docs/observability.md."""
        self.__assembling("_include_prometheus").include_route(
            prometheus_endpoint(path), Endpoint, None
        )
        self._enter(worker_exit())

    def _include_health(
        self,
        *,
        live: str | None = "/livez",
        ready: str | None = "/readyz",
        checks: Mapping[str, HealthCheck] | None = None,
        timeout: float = 2.0,
    ) -> Health:
        """Answer liveness at `live` and readiness at `ready` (None: not served).
        Readiness is 200 once wiring completed, 503 after `Health.drain()`, during
        shutdown, or while one of `checks` (name → async check) fails or times out after
        `timeout` seconds; see docs/observability.md."""
        assembly = self.__assembling("_include_health")
        health = Health(checks, timeout)
        for endpoint in health_endpoints(health, live, ready):
            assembly.include_route(endpoint, Endpoint, None)
        return self._enter(health.lifecycle())

    @overload
    def _url_for[P: msgspec.Struct](self, handler: Handler, path_type: type[P]) -> URLFor[P]: ...
    @overload
    def _url_for(self, handler: Handler) -> URLFor[None]: ...
    def _url_for(self, handler: Handler, path_type: type[Any] | None = None) -> URLFor[Any]:
        """A builder of `handler`'s URL from its `path` Struct: `url_for(WidgetPath(...))`.
        Checked when `_wire` returns: the route must be included and `path_type` must be
        its `path` annotation (leave it out for a route without slots)."""
        assembly = self.__assembling("_url_for")
        name = getattr(handler, "__qualname__", repr(handler))
        return assembly.url_for(handler, path_type, f"{type(self).__name__}._url_for({name})")

    def __assembling(self, method: str) -> Assembly:
        """The running `_wire`'s assembly; outside `_wire` there is none to include into."""
        if self.__assembly is None:
            raise WiringError(f"{type(self).__name__}: {method} belongs inside _wire")
        return self.__assembly

    # --- ASGI ----------------------------------------------------------------------

    # A plain function returning the route's own coroutine: no frame of its own per
    # request. Marked, so servers and tools that ask still see an ASGI 3 coroutine.
    @inspect.markcoroutinefunction
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        """ASGI 3: an HTTP request goes straight to the sealed `Server` (see `_serve`);
        before wiring completed it is a 503 problem."""
        if scope["type"] == "http":
            return self.__serve_http(scope, receive, send)
        return self.__other_scope(scope, receive, send)

    async def __answer_not_ready(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.__options.problem(send, _NOT_READY, False, scope)

    # --- RSGI: granian's native interface ------------------------------------------

    def __rsgi__(self, scope: RSGIScope, protocol: Any) -> Awaitable[None]:
        """One RSGI request, answered by the sealed `Server`'s RSGI entry (see `_serve`),
        or WebSocket, served through the ASGI path above (see docs/rsgi.md)."""
        if scope.proto == "http":
            return self.__serve_rsgi(scope, protocol)
        return rsgi_serve(self, scope, protocol)

    def __rsgi_not_ready(self, scope: RSGIScope, protocol: Any) -> Awaitable[None]:
        return rsgi_serve(self, scope, protocol)  # the ASGI path's 503

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """RSGI worker start: the lifespan startup (`_wire`), run on the worker's loop."""
        rsgi_startup(self, loop)
        if self.__websockets.plans():
            logger.warning(
                "%s serves WebSockets on RSGI, where granian carries no close codes "
                "(clients see 1005); serve it on ASGI if they rely on them",
                type(self).__qualname__,
            )

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        """RSGI worker stop: the lifespan shutdown, run on the worker's loop."""
        rsgi_shutdown(self, loop)

    async def __other_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.__lifespan(receive, send)
        elif kind == "websocket":
            await self.__websockets.serve(scope, receive, send, self.jero.sealed is not None)
        else:
            raise RuntimeError(f"jero does not serve {kind!r} scopes")

    async def __lifespan(self, receive: Receive, send: Send) -> None:
        await serve_lifespan(
            receive,
            send,
            startup=self.__startup,
            shutdown=self.__shutdown,
            startup_failed=self.jero.failed,
        )

    # --- lifecycle -----------------------------------------------------------------

    async def __startup(self) -> None:
        self.jero.startup_error = None
        stack = AsyncExitStack()
        await stack.__aenter__()
        self.__stack = stack
        LifecycleOwner.attach(self, stack)
        try:
            self.__streams = ActiveStreams()
            self.__factory = self.__make_factory(stack)
            check_wire_spelling(type(self), BaseApp)
            self.__assembly = Assembly(self.__options, self.__streams, self.__websockets)
            if not inspect.iscoroutinefunction(self._wire):
                raise WiringError(
                    f"{type(self).__qualname__}._wire must be `async def _wire(self) -> None`"
                )
            await self._wire()
            sealed = self.__assembly.seal()
            self.jero.sealed = sealed
            self.__serve_http = (
                sealed.server.__call__
            )  # a bound method: called without the slot wrapper of an instance call
            self.__serve_rsgi = sealed.server.rsgi
        except BaseException:
            await self.__shutdown()
            raise
        finally:
            self.__assembly = None

    def __make_factory(self, stack: AsyncExitStack) -> F:
        factory = self.__injected_factory
        if factory is None:
            factory = typing.cast(F, type(self).__factory_type())
        if not LifecycleOwner.is_attached(factory):
            # An injected factory that is not already open shares the app's lifecycle.
            LifecycleOwner.attach(factory, stack)
            stack.callback(LifecycleOwner.attach, factory, None)
        return factory

    async def __shutdown(self) -> None:
        self.jero.sealed = None
        self.__serve_http = self.__answer_not_ready
        self.__serve_rsgi = self.__rsgi_not_ready
        self.__factory = None
        stack, self.__stack = self.__stack, None
        # Open streams end (and run their teardown) while the services they use still exist.
        await self.__streams.close()
        await self.__websockets.close()  # each socket closes with 1001, `disconnect` runs
        LifecycleOwner.attach(self, None)
        if stack is not None:
            await stack.aclose()
