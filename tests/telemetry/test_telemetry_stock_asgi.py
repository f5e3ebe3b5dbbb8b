"""RouteOnScope with the ecosystem's own ASGI instrumentation wrapped around the app:
opentelemetry-instrumentation-asgi reads the template from the scope, and its span is
named by the template instead of the raw path."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec import Struct
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jero import BaseApp, Resource, RouteOnScope
from jero.testing import TestClient


class Widget(Struct):
    id: str


class WidgetPath(Struct):
    widget_id: str


class StockResource(Resource, path="/stock"):
    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(path.widget_id)


def instrumented(*middleware: Any) -> tuple[TestClient, InMemorySpanExporter, InMemoryMetricReader]:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*middleware)
            self._include_resource(StockResource())

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    app = OpenTelemetryMiddleware(
        App(),
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[reader]),
        exclude_spans=["receive", "send"],
    )
    return TestClient(app), exporter, reader


def duration_attributes(reader: InMemoryMetricReader) -> list[dict[str, Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        dict(point.attributes or {})
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name in ("http.server.duration", "http.server.request.duration")
        for point in metric.data.data_points
    ]


@pytest.mark.parametrize("current_span", [False, True])
def test_the_stock_middleware_reads_the_template(current_span: bool) -> None:
    client, exporter, reader = instrumented(RouteOnScope(current_span=current_span))
    with client:
        assert client.get("/stock/w1").status_code == 200
        assert client.get("/nowhere").status_code == 404
    found, missing = exporter.get_finished_spans()
    if current_span:
        assert found.name == "GET /stock/{widget_id}"
        assert found.attributes is not None
        assert found.attributes["http.route"] == "/stock/{widget_id}"
    else:
        assert found.name == "GET /stock/w1"  # the stock name: the raw path
    assert missing.name == "GET /nowhere"  # a 404 is left alone
    durations = duration_attributes(reader)
    targets = {attributes.get("http.target") for attributes in durations}
    # Its default (pre-stable) conventions put the template in `http.target`.
    assert "/stock/{widget_id}" in targets
    assert "/stock/w1" not in targets


def test_without_route_on_scope_the_stock_middleware_knows_only_raw_paths() -> None:
    client, exporter, reader = instrumented()
    with client:
        client.get("/stock/w1")
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /stock/w1"
    assert all("http.target" not in attributes for attributes in duration_attributes(reader))
