"""`Tracing`: one OpenTelemetry server span per request, named and attributed per route.

Everything that depends only on the route is decided once, in `wrap`: the span name of
each method (``GET /widgets/{widget_id}``; the method alone for a 404, so names never
carry a raw path), the `http.route` attribute, the header names the configured
propagator reads, and whether the route streams (only then is `receive` watched for a
disconnect). Per request: one pass over the headers, the span, and a `send` that notes
the status and whether the body ended. The span ends when the route's app returns,
which for a streamed body is when the stream ended, not when the handler returned.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

import anyio

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._errors import WiringError
from .._middleware.chain import RouteInfo, self_guarded
from . import conventions as sc
from .context import ActiveSpan, current, install_record_factory, qualified_name

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from .sockets import SocketLayer

__all__ = [
    "SCHEMA_URL",
    "RouteOnScope",
    "RouteTemplate",
    "Tracing",
    "connection_attributes",
    "jero_version",
    "require",
]

SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
"""The semantic-conventions version the attribute names follow (HTTP is stable there)."""


@functools.cache
def jero_version() -> str:
    """The installed jero's version, the instrumentation scope's version."""
    try:
        return metadata.version("jero")
    except metadata.PackageNotFoundError:
        return "0"


def require(what: str, extra: str) -> None:
    """A `WiringError` naming the extra to install when `what` cannot be imported."""
    raise WiringError(f"{what} needs the {extra!r} extra: uv add 'jero[{extra}]'")


@self_guarded
class Tracing:
    """An OpenTelemetry server span for every request of the routes it wraps.

    `tracer_provider` defaults to the global one (so `opentelemetry-instrument` and an
    SDK set up at import both work). With `propagate=True` the incoming context
    (`traceparent` / `tracestate`, or whatever the global propagator reads) becomes the
    span's parent. The span carries the stable HTTP semantic conventions; a 5xx or a
    crash (also a stream's, after its head went out) sets its status to error with
    `error.type` (the exception's type when jero logged one, else the status code); a
    client that disconnected before the response ended is marked with
    `jero.client_disconnected`. `exclude` names route templates left untraced (health
    probes, say: ``exclude=["/livez", "/readyz"]``); they pay nothing. Pass the same
    object as `_include_websocket(..., tracing=)` to give WebSocket sessions a span too.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        propagate: bool = True,
        exclude: Collection[str] = (),
    ) -> None:
        self.tracer_provider = tracer_provider
        self.propagate = propagate
        self.exclude = sc.route_set(exclude, "Tracing")

    def socket_layer(self, template: str) -> SocketLayer:
        """The span of each session on the WebSocket route `template` (compiled once,
        when the socket is wired)."""
        from .sockets import socket_layer

        return socket_layer(self, template)

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.path in self.exclude:
            return app
        try:
            from opentelemetry import context as otel_context
            from opentelemetry import propagate as otel_propagate
            from opentelemetry import trace
        except ImportError:
            require("Tracing", "otel")
            raise
        install_record_factory()
        tracer = trace.get_tracer(
            "jero", jero_version(), self.tracer_provider, schema_url=SCHEMA_URL
        )
        # A handler answers its method (and HEAD for GET); the answer without a handler
        # serves OPTIONS on the path, and 405 for the rest.
        names = sc.span_names(route.path, None if route.method else {"OPTIONS"})
        static: dict[str, Any] = {} if route.path is None else {sc.HTTP_ROUTE: route.path}
        fields: frozenset[bytes] = frozenset()
        if self.propagate:
            fields = frozenset(
                f.lower().encode() for f in otel_propagate.get_global_textmap().fields
            )
        extract = otel_propagate.extract
        attach, detach = otel_context.attach, otel_context.detach
        in_context = trace.set_span_in_context
        server = trace.SpanKind.SERVER
        error_status = trace.Status(trace.StatusCode.ERROR)
        watch = route.streams
        cancelled = anyio.get_cancelled_exc_class

        async def traced(scope: Scope, receive: Receive, send: Send) -> None:
            method: str = scope["method"]
            attributes = dict(static)
            carrier = _request_attributes(scope, method, attributes, fields)
            parent = extract(carrier) if carrier else None
            span = tracer.start_span(
                names.get(method, "HTTP"), context=parent, kind=server, attributes=attributes
            )
            ids = span.get_span_context()
            active = ActiveSpan(span, ids.trace_id, ids.span_id)
            token = attach(in_context(span, parent))
            active_token = current.set(active)
            exchange = _Exchange(receive, send)
            try:
                await app(scope, exchange.receive if watch else receive, exchange.send)
            except cancelled():
                exchange.disconnected = True
                raise
            except BaseException as error:
                span.record_exception(error)
                active.error_type = qualified_name(error)
                exchange.status = exchange.status or 500
                raise
            finally:
                exchange.finish(active, error_status)
                current.reset(active_token)
                detach(token)
                span.end()

        return traced


class _Exchange:
    """One request's response as the span sees it: its status, whether the body ended,
    whether the client went away first."""

    __slots__ = ("_receive", "_send", "disconnected", "ended", "status")

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.status = 0
        self.ended = self.disconnected = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body" and not message.get("more_body", False):
            self.ended = True
        try:
            await self._send(message)
        except OSError:
            self.disconnected = True
            raise

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect" and not self.ended:
            self.disconnected = True
        return message

    def finish(self, active: ActiveSpan, error_status: Any) -> None:
        span, status = active.span, self.status
        if status:
            span.set_attribute(sc.HTTP_RESPONSE_STATUS_CODE, status)
        # A 5xx, or a crash after a 2xx head went out (a stream that failed midway).
        if status >= 500 or active.error_type is not None:
            span.set_status(error_status)
            span.set_attribute(sc.ERROR_TYPE, active.error_type or str(status))
        if self.disconnected or (status and not self.ended):
            span.set_attribute(sc.DISCONNECTED, True)


def _request_attributes(
    scope: Scope, method: str, attributes: dict[str, Any], fields: frozenset[bytes]
) -> Mapping[str, str]:
    """Fill in the request's span attributes; return the propagation headers found."""
    if method in sc.KNOWN_METHODS:
        attributes[sc.HTTP_REQUEST_METHOD] = method
    else:
        attributes[sc.HTTP_REQUEST_METHOD] = "_OTHER"
        attributes[sc.HTTP_REQUEST_METHOD_ORIGINAL] = method
    return connection_attributes(scope, attributes, fields)


def connection_attributes(
    scope: Scope, attributes: dict[str, Any], fields: frozenset[bytes]
) -> Mapping[str, str]:
    """The attributes an HTTP request and a WebSocket handshake share (URL, peers, user
    agent); returns the propagation headers found."""
    attributes[sc.URL_PATH] = scope["path"]
    attributes[sc.URL_SCHEME] = scope.get("scheme", "http")
    if query := scope.get("query_string"):
        attributes[sc.URL_QUERY] = query.decode("latin-1")
    if client := scope.get("client"):
        attributes[sc.CLIENT_ADDRESS] = client[0]
        attributes[sc.CLIENT_PORT] = client[1]
    if version := scope.get("http_version"):
        attributes[sc.NETWORK_PROTOCOL_VERSION] = version
    carrier: dict[str, str] = {}
    for key, value in scope["headers"]:
        if key == b"host":
            host, port = sc.host_and_port(value.decode("latin-1"))
            attributes[sc.SERVER_ADDRESS] = host
            if port is not None:
                attributes[sc.SERVER_PORT] = port
        elif key == b"user-agent":
            attributes[sc.USER_AGENT_ORIGINAL] = value.decode("latin-1")
        elif key in fields:
            carrier[key.decode("latin-1")] = value.decode("latin-1")
    return carrier


class RouteTemplate:
    """What `RouteOnScope` puts at ``scope["route"]``: the matched route's template as
    `path_format` (what opentelemetry-instrumentation-asgi reads for `http.route`) and
    as `path` (Starlette's spelling, which other ASGI tools read)."""

    __slots__ = ("name", "path", "path_format")

    def __init__(self, path: str, name: str | None) -> None:
        self.path = self.path_format = path
        self.name = name

    def __repr__(self) -> str:
        return f"RouteTemplate({self.path!r})"


@self_guarded
class RouteOnScope:
    """Expose the route template to instrumentation wrapped around the whole app.

    On each request of the routes it wraps: ``scope["route"]`` (a `RouteTemplate`, whose
    `.path_format` opentelemetry-instrumentation-asgi reads after the response, and
    `.path`, Starlette's spelling) and ``scope["route_template"]`` (the string). With
    `current_span=True` (needs `jero[otel]`), the OpenTelemetry span current when the
    request reaches the route (the server span of such outer instrumentation) is renamed
    ``{METHOD} {template}`` and given `http.route`, as framework-specific
    instrumentations do. A 404 gets none of it.
    """

    def __init__(self, *, current_span: bool = False) -> None:
        self.current_span = current_span

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.path is None:
            return app
        template, name = route.path, route.name
        found = RouteTemplate(template, name)
        if self.current_span:
            return _naming_current_span(app, route, found)

        async def exposed(scope: Scope, receive: Receive, send: Send) -> None:
            scope["route"] = found
            scope["route_template"] = template
            await app(scope, receive, send)

        return exposed


def _naming_current_span(app: ASGIApp, route: RouteInfo, found: RouteTemplate) -> ASGIApp:
    try:
        from opentelemetry import trace
    except ImportError:
        require("RouteOnScope(current_span=True)", "otel")
        raise
    template = found.path
    names = sc.span_names(template, None if route.method else {"OPTIONS"})
    current_span = trace.get_current_span

    async def exposed(scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = found
        scope["route_template"] = template
        span = current_span()
        if span.is_recording():
            span.update_name(names.get(scope["method"], "HTTP"))
            span.set_attribute(sc.HTTP_ROUTE, template)
        await app(scope, receive, send)

    return exposed
