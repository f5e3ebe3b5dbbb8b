"""The jero benchmark API with telemetry, for ``inproc.py --telemetry``.

``build_tracing_api`` wires `Tracing` against the OpenTelemetry API alone (no SDK: the
global no-op tracer); ``build_tracing_sdk`` against an SDK `TracerProvider` with no span
processor (spans are made, sampled and dropped: the cost before any exporter);
``build_metrics_otel`` wires `Metrics` into an SDK `MeterProvider` aggregating in memory;
``build_metrics_prometheus`` into prometheus_client; ``build_all`` the SDK tracing, both
metrics and the JSON access log (its logger not enabled for INFO here) together.
"""

from __future__ import annotations

from typing import Any

from benchmarks.apps.jero_app import ItemResource, PingEndpoint
from jero import AccessLog, BaseApp, Metrics, Tracing


def _app(*middleware: Any) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*middleware)
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())

    return App()


def _sdk_tracer() -> Any:
    from opentelemetry.sdk.trace import TracerProvider

    return TracerProvider()


def _sdk_meter() -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    return MeterProvider(metric_readers=[InMemoryMetricReader()])


def build_tracing_api(n_routes: int = 0) -> BaseApp:
    return _app(Tracing())


def build_tracing_sdk(n_routes: int = 0) -> BaseApp:
    return _app(Tracing(_sdk_tracer()))


def build_metrics_otel(n_routes: int = 0) -> BaseApp:
    return _app(Metrics(_sdk_meter()))


def build_metrics_prometheus(n_routes: int = 0) -> BaseApp:
    return _app(Metrics(opentelemetry=False, prometheus=True))


def build_all(n_routes: int = 0) -> BaseApp:
    return _app(Tracing(_sdk_tracer()), Metrics(_sdk_meter(), prometheus=True), AccessLog())
