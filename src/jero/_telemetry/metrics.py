"""`Metrics`: the HTTP server metrics of the semantic conventions, recorded per route.

One layer measures each request once (duration from entry to the end of the response
body, so a stream counts until it ended; request and response body bytes as they
crossed `receive` / `send`; the status) and hands the numbers to its recorders:
OpenTelemetry instruments through the metrics API, and, with `prometheus=True`,
process-wide prometheus_client metrics that stay correct across server workers (see
`prometheus.py`). Each recorder keeps its attribute sets per route, built once per
method and status, so the request path does one dictionary lookup, not a dictionary
build.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._middleware.chain import RouteInfo, self_guarded
from . import conventions as sc
from .context import current
from .tracing import jero_version, require

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider

__all__ = ["Measurement", "Metrics"]


class Measurement:
    """One request as the metrics see it, filled in while it runs."""

    __slots__ = (
        "_receive",
        "_send",
        "error",
        "method",
        "received",
        "scheme",
        "seconds",
        "sent",
        "status",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.method = sc.method_of(scope)
        self.scheme: str = scope.get("scheme", "http")
        self.status = self.received = self.sent = 0
        self.seconds = 0.0
        self.error: str | None = None

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            self.sent += len(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
        await self._send(message)


class _Recorder(Protocol):
    def begin(self, request: Measurement) -> None: ...

    def end(self, request: Measurement) -> None: ...


@self_guarded
class Metrics:
    """Record `http.server.request.duration` (seconds, the conventions' buckets),
    `http.server.active_requests`, `http.server.request.body.size` and
    `http.server.response.body.size` (bytes) by method, route and status.

    `opentelemetry=True` records through the OpenTelemetry metrics API (the meter of
    `meter_provider`, default the global one; needs `jero[otel]`). `prometheus=True`
    records in prometheus_client (needs `jero[prometheus]`) for the endpoint
    `_include_prometheus` serves. `exclude` names route templates left unmeasured
    (``["/metrics", "/readyz"]``, say); they pay nothing.
    """

    def __init__(
        self,
        meter_provider: MeterProvider | None = None,
        *,
        opentelemetry: bool = True,
        prometheus: bool = False,
        exclude: Collection[str] = (),
    ) -> None:
        self.meter_provider = meter_provider
        self.opentelemetry = opentelemetry
        self.prometheus = prometheus
        self.exclude = sc.route_set(exclude, "Metrics")
        self._instruments: _OTelInstruments | None = None

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.path in self.exclude:
            return app
        recorders: list[_Recorder] = []
        if self.opentelemetry:
            if self._instruments is None:
                self._instruments = _OTelInstruments(self.meter_provider)
            recorders.append(_OTelRecorder(self._instruments, route.path))
        if self.prometheus:
            from .prometheus import PrometheusRecorder

            recorders.append(PrometheusRecorder(route.path))
        if not recorders:
            return app
        return _measured(app, tuple(recorders))


def _measured(app: ASGIApp, recorders: tuple[_Recorder, ...]) -> ASGIApp:
    clock = time.perf_counter
    cancelled = anyio.get_cancelled_exc_class

    async def measured(scope: Scope, receive: Receive, send: Send) -> None:
        started = clock()
        request = Measurement(scope, receive, send)
        for recorder in recorders:
            recorder.begin(request)
        try:
            await app(scope, request.receive, request.send)
        except cancelled():
            raise
        except BaseException:
            request.status = request.status or 500
            raise
        finally:
            request.seconds = clock() - started
            active = current.get()
            error = active.error_type if active is not None else None
            if error is not None or request.status >= 500:
                request.error = error or str(request.status)
            for recorder in recorders:
                recorder.end(request)

    return measured


class _OTelInstruments:
    """The four instruments, created once per `Metrics` from its meter."""

    def __init__(self, meter_provider: MeterProvider | None) -> None:
        try:
            from opentelemetry import metrics
        except ImportError:
            require("Metrics(opentelemetry=True)", "otel")
            raise
        meter = metrics.get_meter("jero", jero_version(), meter_provider)
        self.duration = meter.create_histogram(
            sc.REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self.active = meter.create_up_down_counter(
            sc.ACTIVE_REQUESTS,
            unit="{request}",
            description="Number of active HTTP server requests.",
        )
        self.request_size = meter.create_histogram(
            sc.REQUEST_BODY_SIZE, unit="By", description="Size of HTTP server request bodies."
        )
        self.response_size = meter.create_histogram(
            sc.RESPONSE_BODY_SIZE, unit="By", description="Size of HTTP server response bodies."
        )


class _OTelRecorder:
    """One route's measurements into the OpenTelemetry instruments."""

    __slots__ = ("active", "attributes", "instruments", "route")

    def __init__(self, instruments: _OTelInstruments, route: str | None) -> None:
        self.instruments = instruments
        self.route = route
        self.active: dict[tuple[str, str], dict[str, Any]] = {}
        self.attributes: dict[tuple[str, str, int, str | None], dict[str, Any]] = {}

    def begin(self, request: Measurement) -> None:
        self.instruments.active.add(1, self._active(request.method, request.scheme))

    def end(self, request: Measurement) -> None:
        instruments = self.instruments
        instruments.active.add(-1, self._active(request.method, request.scheme))
        key = (request.method, request.scheme, request.status, request.error)
        attributes = self.attributes.get(key)
        if attributes is None:
            attributes = self._attributes(key)
            if len(self.attributes) < 256:  # a bound, whatever statuses a route sends
                self.attributes[key] = attributes
        instruments.duration.record(request.seconds, attributes)
        instruments.request_size.record(request.received, attributes)
        instruments.response_size.record(request.sent, attributes)

    def _active(self, method: str, scheme: str) -> dict[str, Any]:
        key = (method, scheme)
        found = self.active.get(key)
        if found is None:
            found = self.active[key] = {sc.HTTP_REQUEST_METHOD: method, sc.URL_SCHEME: scheme}
        return found

    def _attributes(self, key: tuple[str, str, int, str | None]) -> dict[str, Any]:
        method, scheme, status, error = key
        attributes: dict[str, Any] = {sc.HTTP_REQUEST_METHOD: method, sc.URL_SCHEME: scheme}
        if self.route is not None:
            attributes[sc.HTTP_ROUTE] = self.route
        if status:
            attributes[sc.HTTP_RESPONSE_STATUS_CODE] = status
        if error is not None:
            attributes[sc.ERROR_TYPE] = error
        return attributes
