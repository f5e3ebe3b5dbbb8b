"""OTLP over HTTP: the spans and metrics of a request, exported by the real OTLP/HTTP
exporters to a small receiver on loopback, decoded from protobuf as they arrived."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from msgspec import Struct
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource as OTelResource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from jero import BaseApp, Endpoint, Metrics, Tracing
from jero.testing import TestClient
from tests.granian_server import granian

TRACE = "0af7651916cd43dd8448eb211c80319c"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        body = self.rfile.read(length)
        self.received.append((self.path, self.headers["content-type"], body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def receiver() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    received: list[tuple[str, str, bytes]] = []
    handler = type("Handler", (Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class OrderPath(Struct):
    order_id: str


class OrderEndpoint(Endpoint, path="/orders/{order_id}"):
    async def get(self, path: OrderPath) -> str:
        return "order"


def test_spans_and_metrics_arrive_over_otlp_http() -> None:
    resource = OTelResource.create({"service.name": "orders-api"})
    with receiver() as (url, received):
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=5))
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{url}/v1/metrics", timeout=5),
            export_interval_millis=60_000,
        )
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

        class App(BaseApp):
            async def _wire(self) -> None:
                self._include_middleware(Tracing(tracer_provider), Metrics(meter_provider))
                self._include_endpoint(OrderEndpoint())

        with TestClient(App()) as client:
            traceparent = f"00-{TRACE}-b7ad6b7169203331-01"
            assert client.get("/orders/o-9", headers={"traceparent": traceparent}).text == "order"
        tracer_provider.shutdown()
        meter_provider.shutdown()  # the last collection is exported on the way out

    paths = [path for path, _, _ in received]
    assert paths.count("/v1/traces") == 1 and paths.count("/v1/metrics") == 1
    assert {kind for _, kind, _ in received} == {"application/x-protobuf"}
    traces = ExportTraceServiceRequest()
    traces.ParseFromString(next(body for path, _, body in received if path == "/v1/traces"))
    (resource_spans,) = traces.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "orders-api"
    (scope_spans,) = resource_spans.scope_spans
    assert scope_spans.scope.name == "jero"
    (span,) = scope_spans.spans
    assert span.name == "GET /orders/{order_id}"
    assert span.kind == Span.SPAN_KIND_SERVER
    assert span.trace_id.hex() == TRACE
    assert span.parent_span_id.hex() == "b7ad6b7169203331"
    attributes = {a.key: a.value for a in span.attributes}
    assert attributes["http.route"].string_value == "/orders/{order_id}"
    assert attributes["http.response.status_code"].int_value == 200
    assert attributes["url.path"].string_value == "/orders/o-9"

    metrics = ExportMetricsServiceRequest()
    metrics.ParseFromString(next(body for path, _, body in received if path == "/v1/metrics"))
    exported = {
        metric.name: metric
        for resource_metrics in metrics.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }
    duration = exported["http.server.request.duration"]
    assert duration.unit == "s"
    (point,) = duration.histogram.data_points
    assert point.count == 1
    assert list(point.explicit_bounds)[:3] == [0.005, 0.01, 0.025]
    labels = {a.key: a.value for a in point.attributes}
    assert labels["http.route"].string_value == "/orders/{order_id}"
    assert labels["http.response.status_code"].int_value == 200
    assert {"http.server.active_requests", "http.server.response.body.size"} <= set(exported)


@pytest.mark.server
def test_a_granian_served_request_exports_its_span() -> None:
    with receiver() as (url, received):
        env = {"JERO_TEST_OTLP_ENDPOINT": f"{url}/v1/traces"}
        with granian("tests.telemetry.telemetry_otlp_app:app", env) as server:
            port = int(server.url.rsplit(":", 1)[1])
            headers = {"traceparent": f"00-{TRACE}-b7ad6b7169203331-01", "user-agent": "probe/2"}
            answer = httpx.get(f"{server.url}/orders/o-1?expand=no", headers=headers)
            assert answer.json() == {"id": "o-1"}
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not _spans(received, "GET /orders/{order_id}"):
                time.sleep(0.05)
    (span,) = _spans(received, "GET /orders/{order_id}")
    assert span.trace_id.hex() == TRACE
    attributes = {a.key: a.value for a in span.attributes}
    assert attributes["http.response.status_code"].int_value == 200
    assert attributes["url.path"].string_value == "/orders/o-1"
    assert attributes["url.query"].string_value == "expand=no"
    assert attributes["url.scheme"].string_value == "http"
    assert attributes["server.address"].string_value == "127.0.0.1"
    assert attributes["server.port"].int_value == port
    assert attributes["client.address"].string_value == "127.0.0.1"
    assert attributes["user_agent.original"].string_value == "probe/2"
    assert attributes["network.protocol.version"].string_value == "1.1"


def _spans(received: list[tuple[str, str, bytes]], name: str) -> list[Span]:
    found: list[Span] = []
    for path, _, body in list(received):
        if path != "/v1/traces":
            continue
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        found.extend(
            span
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
            if span.name == name
        )
    return found
