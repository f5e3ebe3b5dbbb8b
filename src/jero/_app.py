"""`BaseApp`: the ASGI 3 application. The whole request path reads top to bottom here:

    scope → router lookup → method table → bind + call the handler → encode → send

and every failure along it becomes a problem-details response.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, ClassVar, overload

import msgspec

from ._asgi import ASGIApp, Receive, Scope, Send
from ._auth import inspect_auth
from ._binding.base import Limits
from ._binding.body import ClientDisconnectError
from ._errors import (
    HTTPError,
    NotFoundError,
    ServiceUnavailableError,
    WiringError,
)
from ._lifecycle import BaseFactory, LifecycleOwner
from ._middleware.chain import Middleware
from ._middleware.wiring import PATH_VALUES, MiddlewareWiring
from ._openapi import DEFAULT_DOCS_PAGE, DocsPage, DocumentInfo, OpenAPISite, SchemaHook, Server
from ._rendering.failures import (
    answer_ended_body,
    answer_without_handler,
    send_crash,
    send_error,
)
from ._rendering.negotiation import ProblemSender, send_json_problem, send_negotiated_problem
from ._routing.reverse import Handler, URLFor
from ._routing.router import MethodTable, Router
from ._routing.routes import Endpoint, Resource
from ._rsgi import serve as rsgi_serve
from ._rsgi import shutdown as rsgi_shutdown
from ._rsgi import startup as rsgi_startup
from ._static.mount import plan_static
from ._streaming.drive import ActiveStreams
from ._tasks import BackgroundTasks
from ._websockets.asyncapi import (
    AsyncAPIDocument,
    AsyncAPIInfo,
    asyncapi_endpoint,
    publish_asyncapi,
)
from ._websockets.endpoint import WebSocketEndpoint, WebSocketLimits
from ._websockets.routes import WebSocketRoutes
from ._websockets.wiring import plan_socket
from ._wiring import HandlerPlan, plan_routes

__all__ = ["BaseApp"]

logger = logging.getLogger("jero")

_NOT_FOUND = NotFoundError()
_NOT_READY = ServiceUnavailableError()


class BaseApp[F: BaseFactory = BaseFactory](LifecycleOwner):
    """Subclass it, implement `_wire`, and serve an instance with any ASGI 3 server.

    `_wire` runs once, during lifespan startup: it enters services with `_enter` /
    `_aenter` and includes routes with `_include_resource` / `_include_endpoint`. A
    failure there unwinds what was entered and refuses the startup.

    `App(msgpack=True)` speaks MessagePack next to JSON: `json` bodies may come as
    `application/msgpack`, and a request whose `Accept` prefers it gets MessagePack
    bodies and `application/problem+msgpack` errors. JSON stays the default.
    """

    factory_type: ClassVar[type[BaseFactory]] = BaseFactory

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in types.get_original_bases(cls):
            if typing.get_origin(base) is BaseApp:
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and issubclass(arg, BaseFactory):
                    cls.factory_type = arg

    def __init__(
        self,
        *,
        factory: F | None = None,
        limits: Limits | None = None,
        msgpack: bool = False,
    ) -> None:
        if factory is not None:
            _check_factory(type(self), factory)
        self.__injected_factory = factory
        self.__msgpack = msgpack
        self.__problem: ProblemSender = send_negotiated_problem if msgpack else send_json_problem
        self.__factory: F | None = None
        self.__limits = limits if limits is not None else Limits()
        self.__wiring: Router | None = None
        self.__router: Router | None = None
        self.__openapi: OpenAPISite | None = None
        self.__asyncapi: AsyncAPIDocument | None = None
        self.__stack: AsyncExitStack | None = None
        self.__streams = ActiveStreams()
        self.__websockets = WebSocketRoutes()
        self.__middleware: MiddlewareWiring | None = None
        self.__not_found: ASGIApp = self.__answer_not_found
        self.startup_error: BaseException | None = None
        """What failed the last startup, for test clients that re-raise it."""

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
        self.__include(
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
        self.__include(
            endpoint, Endpoint, auth, public=public, limits=limits, middleware=middleware
        )

    def _include_middleware(self, *middleware: Middleware) -> None:
        """App-wide middleware (first listed is outermost): it wraps every route of the
        app, wherever in `_wire` it is included, and the answers given without a handler
        (404, 405, OPTIONS). Each route's chain is composed once, when `_wire` returns.
        """
        if self.__middleware is None:
            raise WiringError(f"{type(self).__name__}: _include_middleware belongs inside _wire")
        self.__middleware.include(middleware)

    def _include_websocket(
        self,
        endpoint: WebSocketEndpoint,
        *,
        auth: object | None = None,
        limits: WebSocketLimits | None = None,
    ) -> None:
        """Wire a `WebSocketEndpoint`'s hooks; a bad one is a `WiringError`.

        `auth=` is an authenticator, as for `_include_resource`: it runs before the socket
        is accepted. `limits=` bounds what each client may send (see `WebSocketLimits`).
        """
        if self.__wiring is None:
            raise WiringError(f"{type(self).__name__}: routes can only be included inside _wire")
        plan = None if auth is None else inspect_auth(auth, type(endpoint).__qualname__)
        socket = plan_socket(endpoint, limits or WebSocketLimits(), plan)
        self.__websockets.add(socket)

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
        document = asyncapi_endpoint(path, self.__websockets.plans, info)
        self.__include(document, Endpoint, None)
        self.__asyncapi = document

    async def _create_background_tasks(
        self,
        *,
        drain_timeout: float | None = 30.0,
        maxsize: int = 1024,
        allow_one_to_many: bool = False,
    ) -> BackgroundTasks:
        """A running `BackgroundTasks` queue on the app's lifecycle stack.

        At shutdown it drains (up to `drain_timeout` seconds) before anything entered
        earlier closes, so its handlers can keep using those services.
        """
        tasks = BackgroundTasks(
            drain_timeout=drain_timeout, maxsize=maxsize, allow_one_to_many=allow_one_to_many
        )
        return await self._aenter(tasks)

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
        if self.__wiring is None:
            raise WiringError(f"{type(self).__name__}: _include_openapi belongs inside _wire")
        if self.__openapi is not None:
            raise WiringError(f"{type(self).__name__}: _include_openapi was already called")
        info = DocumentInfo(
            title=title,
            version=version,
            description=description,
            servers=servers,
            docstrings=docstrings,
            schema_hook=schema_hook,
        )
        site = OpenAPISite(info, path, docs_path, docs)
        for route in site.routes():
            self.__include(route, Endpoint, None)
        self.__openapi = site

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
        if self.__wiring is None:
            raise WiringError(f"{type(self).__name__}: _include_static belongs inside _wire")
        mount = plan_static(
            type(self).__qualname__,
            prefix,
            directory=directory,
            cache_control=cache_control,
            precompressed=precompressed,
            fallback=fallback,
            media_types=media_types,
            problem=self.__problem,
        )
        self.__wiring.mount(mount)

    @overload
    def _url_for[P: msgspec.Struct](self, handler: Handler, path_type: type[P]) -> URLFor[P]: ...
    @overload
    def _url_for(self, handler: Handler) -> URLFor[None]: ...
    def _url_for(self, handler: Handler, path_type: type[Any] | None = None) -> URLFor[Any]:
        """A builder of `handler`'s URL from its `path` Struct: `url_for(WidgetPath(...))`.
        Checked when `_wire` returns: the route must be included and `path_type` must be
        its `path` annotation (leave it out for a route without slots)."""
        if self.__wiring is None:
            raise WiringError(f"{type(self).__name__}: _url_for belongs inside _wire")
        name = getattr(handler, "__qualname__", repr(handler))
        where = f"{type(self).__name__}._url_for({name})"
        return self.__wiring.reverse(handler, path_type, where)

    def __include(
        self,
        route: object,
        kind: type,
        auth: object | None,
        *,
        public: Collection[str] = (),
        limits: Limits | None = None,
        middleware: Sequence[object] = (),
    ) -> None:
        router = self.__wiring
        chains = self.__middleware
        if router is None or chains is None:
            raise WiringError(f"{type(self).__name__}: routes can only be included inside _wire")
        if isinstance(route, type):
            raise WiringError(_class_not_instance(route, kind))
        if not isinstance(route, kind):
            raise WiringError(
                f"{type(route).__qualname__} is not {_article(kind)} {kind.__name__}; pass it to "
                f"_include_{'resource' if kind is Endpoint else 'endpoint'} instead"
            )
        plan = None if auth is None else inspect_auth(auth, type(route).__qualname__)
        if limits is None:
            limits = self.__limits
        elif not isinstance(typing.cast(object, limits), Limits):
            name = type(route).__qualname__
            raise WiringError(f"{name}: limits= takes a jero.Limits, got {limits!r}")
        for handler in plan_routes(route, limits, plan, public=public, msgpack=self.__msgpack):
            router.add(chains.attach(self.__track_streams(handler), middleware))

    def __track_streams(self, handler: HandlerPlan) -> HandlerPlan:
        """A streamed body outlives the handler call: shutdown must be able to end it."""
        if not handler.render.streams:
            return handler
        return dataclasses.replace(handler, respond=self.__streams.guard(handler.respond))

    @property
    def router(self) -> Router | None:
        """The sealed router once wiring completed (for tooling such as OpenAPI)."""
        return self.__router

    @property
    def openapi_site(self) -> OpenAPISite | None:
        """What `_include_openapi` set up, once wiring completed (tooling reads its `path`
        and `docs_path`); None for an app without it."""
        return self.__openapi if self.__router is not None else None

    # --- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request path, top to bottom: route, bind and call, encode, send."""
        if scope["type"] != "http":
            await self.__other_scope(scope, receive, send)
            return
        router = self.__router
        if router is None:
            await self.__problem(send, _NOT_READY, False, scope)
            return
        path: str = scope["path"]
        if root_path := scope.get("root_path"):
            path = _below_root(path, root_path)
        found = router.lookup(path)
        method: str = scope["method"]
        head = method == "HEAD"
        if found is None:
            mounted = router.mount_for(path)
            if mounted is None:
                await self.__not_found(scope, receive, send)
                return
            try:
                await mounted[0](scope, receive, send, mounted[1])
            except Exception:
                await send_crash(send, head, scope, self.__problem)
            return
        table, values = found
        plan = table.methods.get(method)
        if plan is None:
            await table.unhandled(scope, receive, send)
            return
        try:
            result = await plan.invoke(scope, receive, values)
            encode = plan.encode
            if encode is None:  # a stream, or uploads held until the response is sent
                await plan.respond(send, result, head, receive)
                return
            status, headers, body = encode(result)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else body})
        except HTTPError as error:
            await send_error(send, error, head, scope, self.__problem)
        except ClientDisconnectError:
            await answer_ended_body(send, head, scope, self.__problem)
        except Exception:
            await send_crash(send, head, scope, self.__problem)

    # --- RSGI: granian's native interface, served through the ASGI path above ------

    __rsgi__ = rsgi_serve
    """One RSGI request or WebSocket (see docs/rsgi.md); the function is the method."""

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """RSGI worker start: the lifespan startup (`_wire`), run on the worker's loop."""
        rsgi_startup(self, loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        """RSGI worker stop: the lifespan shutdown, run on the worker's loop."""
        rsgi_shutdown(self, loop)

    def __route_app(self, plan: HandlerPlan) -> ASGIApp:
        """A handler as the innermost step of a middleware chain: the same steps and the
        same error answers as `__call__`, the slot values read from the scope."""
        invoke, respond, encode, problem = plan.invoke, plan.respond, plan.encode, self.__problem

        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            head = scope["method"] == "HEAD"
            try:
                result = await invoke(scope, receive, scope[PATH_VALUES])
                if encode is None:
                    await respond(send, result, head, receive)
                    return
                status, headers, body = encode(result)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if head else body})
            except HTTPError as error:
                await send_error(send, error, head, scope, problem)
            except ClientDisconnectError:
                await answer_ended_body(send, head, scope, problem)
            except Exception:
                await send_crash(send, head, scope, problem)

        return handle

    async def __answer_not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No route has this path: the 404 problem (app-wide middleware may wrap this)."""
        await self.__problem(send, _NOT_FOUND, scope["method"] == "HEAD", scope)

    def __unhandled(self, table: MethodTable) -> ASGIApp:
        """The answer of `table`'s path to a method it has no handler for, as an ASGI app
        (middleware may wrap it)."""
        problem = self.__problem

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            method: str = scope["method"]
            head = method == "HEAD"
            await answer_without_handler(table.allow, method, head, send, scope, problem=problem)

        return answer

    async def __other_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.__lifespan(receive, send)
        elif kind == "websocket":
            await self.__websockets.serve(scope, receive, send, self.__router is not None)
        else:
            raise RuntimeError(f"jero does not serve {kind!r} scopes")

    async def __lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.__startup()
                except BaseException as error:
                    self.startup_error = error
                    logger.exception("Startup failed")
                    text = f"{type(error).__name__}: {error}"
                    await send({"type": "lifespan.startup.failed", "message": text})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.__shutdown()
                except BaseException as error:
                    logger.exception("Shutdown failed")
                    text = f"{type(error).__name__}: {error}"
                    await send({"type": "lifespan.shutdown.failed", "message": text})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- lifecycle -----------------------------------------------------------------

    async def __startup(self) -> None:
        self.startup_error = None
        stack = AsyncExitStack()
        await stack.__aenter__()
        self.__stack = stack
        LifecycleOwner.attach(self, stack)
        try:
            self.__streams = ActiveStreams()
            self.__factory = self.__make_factory(stack)
            self.__wiring = Router()
            self.__middleware = MiddlewareWiring(
                type(self).__name__, self.__problem, self.__route_app
            )
            self.__openapi = self.__asyncapi = None
            if not inspect.iscoroutinefunction(self._wire):
                raise WiringError(
                    f"{type(self).__qualname__}._wire must be `async def _wire(self) -> None`"
                )
            await self._wire()
            if self.__openapi is not None:
                self.__openapi.publish(self.__wiring.plans())
            if self.__asyncapi is not None:
                publish_asyncapi(self.__asyncapi)
            router = self.__wiring.seal()
            self.__not_found = self.__middleware.compile(
                router, self.__answer_not_found, self.__unhandled
            )
            self.__router = router
        except BaseException:
            await self.__shutdown()
            raise
        finally:
            self.__wiring = None
            self.__middleware = None

    def __make_factory(self, stack: AsyncExitStack) -> F:
        factory = self.__injected_factory
        if factory is None:
            factory = typing.cast(F, type(self).factory_type())
        if not LifecycleOwner.is_attached(factory):
            # An injected factory that is not already open shares the app's lifecycle.
            LifecycleOwner.attach(factory, stack)
            stack.callback(LifecycleOwner.attach, factory, None)
        return factory

    async def __shutdown(self) -> None:
        self.__router = None
        self.__factory = None
        stack, self.__stack = self.__stack, None
        # Open streams end (and run their teardown) while the services they use still exist.
        await self.__streams.close()
        await self.__websockets.close()  # each socket closes with 1001, `disconnect` runs
        LifecycleOwner.attach(self, None)
        if stack is not None:
            await stack.aclose()


def _check_factory(app: type[BaseApp[Any]], factory: object) -> None:
    """`App(factory=...)` takes an instance of the app's factory class: jero attaches its
    lifecycle to it, and `_wire` calls that class's methods."""
    expected = app.factory_type
    if isinstance(factory, expected):
        return
    given = f"{app.__name__}(factory={_describe(factory)})"
    if isinstance(factory, type) and issubclass(factory, expected):
        raise TypeError(f"{given}: pass an instance: {app.__name__}(factory={factory.__name__}())")
    raise TypeError(
        f"{given}: the factory must be an instance of {expected.__name__} (a BaseFactory); "
        f"subclass {expected.__name__} and override the methods the stand-in replaces"
    )


def _describe(value: object) -> str:
    return value.__name__ if isinstance(value, type) else f"{type(value).__name__}()"


def _article(kind: type) -> str:
    return "an" if kind.__name__[0] in "AEIOU" else "a"


def _class_not_instance(route: type, kind: type) -> str:
    """The advice for `_include_resource(Books)`: the class where an instance belongs."""
    name, method = route.__qualname__, f"_include_{kind.__name__.lower()}"
    if issubclass(route, Resource | Endpoint) and not issubclass(route, kind):
        method = f"_include_{'resource' if issubclass(route, Resource) else 'endpoint'}"
    return f"{name} is a class; pass an instance: self.{method}({name}())"


def _below_root(path: str, root_path: str) -> str:
    """`path` seen from the app's mount point: "/api" is the root of "/api/x", not of
    "/apiary"."""
    if path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest[0] == "/":
            return rest or "/"
    return path
