"""Metrics: the conventions' HTTP server instruments through the OpenTelemetry metrics
API (read back exactly with the SDK's in-memory reader), and the same numbers in
prometheus_client, served by `_include_prometheus`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from msgspec import Struct
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from prometheus_client import REGISTRY

from jero import (
    BaseApp,
    Endpoint,
    Metrics,
    NDJSONStreamingResponse,
    Receive,
    Resource,
    RouteInfo,
    RouteOnScope,
    Scope,
    Send,
    Tracing,
)
from jero.testing import TestClient

JSON = {"content-type": "application/json"}


class Widget(Struct):
    id: str


class WidgetPath(Struct):
    widget_id: str


class MeteredResource(Resource, path="/metered"):
    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(path.widget_id)

    async def create(self, json: Widget) -> Widget:
        return json


class BrokenEndpoint(Endpoint, path="/metered-crash"):
    async def get(self) -> str:
        raise RuntimeError("boom")


class Tick(Struct):
    n: int


class SlowTicksEndpoint(Endpoint, path="/metered-ticks"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        async def ticks() -> AsyncIterator[Tick]:
            for n in range(3):
                await anyio.sleep(0.01)
                yield Tick(n)

        return NDJSONStreamingResponse(stream=ticks())


def metered(reader: InMemoryMetricReader, **options: Any) -> TestClient:
    provider = MeterProvider(metric_readers=[reader])

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Metrics(provider, **options))
            self._include_resource(MeteredResource())
            self._include_endpoint(BrokenEndpoint())
            self._include_endpoint(SlowTicksEndpoint())
            if options.get("prometheus"):
                self._include_prometheus("/metrics")

    return TestClient(App())


def points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "jero"
            for metric in scope.metrics:
                found[metric.name] = list(metric.data.data_points)
    return found


def by_route(series: list[Any]) -> dict[tuple[Any, ...], Any]:
    return {
        (
            p.attributes.get("http.request.method"),
            p.attributes.get("http.route"),
            p.attributes.get("http.response.status_code"),
        ): p
        for p in series
    }


def test_duration_and_sizes_by_method_route_and_status() -> None:
    reader = InMemoryMetricReader()
    with metered(reader) as client:
        for widget in ("a", "bb", "ccc"):
            assert client.get(f"/metered/{widget}").status_code == 200
        assert client.post("/metered", content=b'{"id":"new"}', headers=JSON).status_code == 201
        assert client.post("/metered", content=b"{", headers=JSON).status_code in (400, 422)
        assert client.get("/no-such-route").status_code == 404
    found = points(reader)
    duration = by_route(found["http.server.request.duration"])
    reads = duration["GET", "/metered/{widget_id}", 200]
    assert isinstance(reads, HistogramDataPoint)
    assert reads.count == 3
    assert reads.explicit_bounds == (
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
    )  # fmt: skip
    assert reads.attributes is not None
    assert dict(reads.attributes) == {
        "http.request.method": "GET",
        "url.scheme": "https",
        "http.route": "/metered/{widget_id}",
        "http.response.status_code": 200,
    }
    assert duration["POST", "/metered", 201].count == 1
    bad = [key for key in duration if key[:2] == ("POST", "/metered") and key[2] != 201]
    assert len(bad) == 1 and duration[bad[0]].count == 1
    assert duration["GET", None, 404].count == 1  # a 404 has no http.route
    sent = by_route(found["http.server.response.body.size"])["GET", "/metered/{widget_id}", 200]
    assert sent.sum == sum(len(f'{{"id":"{w}"}}') for w in ("a", "bb", "ccc"))
    received = by_route(found["http.server.request.body.size"])["POST", "/metered", 201]
    assert received.sum == len(b'{"id":"new"}')
    active = found["http.server.active_requests"]
    assert {p.attributes["http.request.method"]: p.value for p in active} == {"GET": 0, "POST": 0}


def test_a_crash_counts_with_its_error_type() -> None:
    reader = InMemoryMetricReader()
    with metered(reader) as client:
        assert client.get("/metered-crash").status_code == 500
    (point,) = found = points(reader)["http.server.request.duration"]
    assert len(found) == 1
    assert point.attributes["http.response.status_code"] == 500
    assert point.attributes["error.type"] == "500"  # no Tracing here: the status code


def test_a_stream_is_timed_until_it_ends() -> None:
    reader = InMemoryMetricReader()
    with metered(reader) as client:
        response = client.get("/metered-ticks")
    assert response.text.count("\n") == 3
    (point,) = points(reader)["http.server.request.duration"]
    assert point.count == 1
    assert point.sum >= 0.03  # three 10 ms sleeps happen inside the measured span
    (sent,) = points(reader)["http.server.response.body.size"]
    assert sent.sum == len(response.content)


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_prometheus_counts_and_the_exposition_endpoint() -> None:
    labels = {
        "http_request_method": "GET",
        "http_route": "/metered/{widget_id}",
        "http_response_status_code": "200",
    }
    before = sample("http_server_request_duration_seconds_count", labels)
    sent_before = sample("http_server_response_body_size_bytes_sum", labels)
    with metered(InMemoryMetricReader(), opentelemetry=False, prometheus=True) as client:
        for widget in ("x", "y", "z", "w"):
            client.get(f"/metered/{widget}")
        scrape = client.get("/metrics")
        openapi_paths = client.get("/openapi.json").status_code
    assert sample("http_server_request_duration_seconds_count", labels) - before == 4
    assert sample("http_server_response_body_size_bytes_sum", labels) - sent_before == 4 * 10
    assert scrape.status_code == 200
    assert scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    line = (
        'http_server_request_duration_seconds_count{http_request_method="GET",'
        'http_response_status_code="200",http_route="/metered/{widget_id}"} '
    )
    (found,) = [row for row in scrape.text.splitlines() if row.startswith(line)]
    assert float(found.removeprefix(line)) == before + 4
    assert 'http_server_active_requests{http_request_method="GET"} 1.0' in scrape.text
    assert openapi_paths == 404  # no OpenAPI here; the endpoint is hidden from it anyway


def test_metrics_switched_off_wrap_nothing() -> None:
    async def route_app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("never called")

    info = RouteInfo(method="GET", path="/metered", allow=frozenset({"GET"}))
    assert Metrics(opentelemetry=False).wrap(route_app, info) is route_app
    assert RouteOnScope().wrap(route_app, RouteInfo(None, None, frozenset())) is route_app


def test_with_tracing_the_error_type_is_the_exception() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    reader = InMemoryMetricReader()

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(
                Tracing(TracerProvider()), Metrics(MeterProvider(metric_readers=[reader]))
            )
            self._include_endpoint(BrokenEndpoint())

    with TestClient(App()) as client:
        assert client.get("/metered-crash").status_code == 500
    (point,) = points(reader)["http.server.request.duration"]
    assert point.attributes["error.type"] == "RuntimeError"
    assert point.attributes["http.response.status_code"] == 500


def test_with_tracing_on_the_api_alone_the_error_type_is_still_the_exception() -> None:
    reader = InMemoryMetricReader()

    class App(BaseApp):
        async def _wire(self) -> None:
            # No SDK: the API's own no-op provider; spans record nothing, ids are zero.
            from opentelemetry.trace import NoOpTracerProvider

            self._include_middleware(
                Tracing(NoOpTracerProvider()), Metrics(MeterProvider(metric_readers=[reader]))
            )
            self._include_endpoint(BrokenEndpoint())

    with TestClient(App()) as client:
        assert client.get("/metered-crash").status_code == 500
    (point,) = points(reader)["http.server.request.duration"]
    assert point.attributes["error.type"] == "RuntimeError"


def test_excluded_routes_are_not_measured() -> None:
    reader = InMemoryMetricReader()
    with metered(reader, exclude=["/metered-crash"]) as client:
        client.get("/metered/a")
        client.get("/metered-crash")
    (point,) = points(reader)["http.server.request.duration"]
    assert point.attributes["http.route"] == "/metered/{widget_id}"
