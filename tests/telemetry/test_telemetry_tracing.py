"""Tracing: one server span per request, named and attributed per route, parented on the
incoming traceparent, marked on errors and disconnects; RouteOnScope for stock ASGI
instrumentation; trace ids on log records."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from msgspec import Struct
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from jero import (
    ASGIApp,
    BaseApp,
    Endpoint,
    NDJSONStreamingResponse,
    NotFoundError,
    Receive,
    Resource,
    RouteInfo,
    RouteOnScope,
    Scope,
    Send,
    Tracing,
    WiringError,
)
from jero.testing import TestClient

app_logger = logging.getLogger("tests.telemetry")

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


class Widget(Struct):
    id: str


class WidgetPath(Struct):
    widget_id: str


class WidgetResource(Resource, path="/widgets"):
    async def read_one(self, path: WidgetPath) -> Widget:
        if path.widget_id == "missing":
            raise NotFoundError()
        app_logger.warning("reading %s", path.widget_id)
        return Widget(path.widget_id)

    async def create(self, json: Widget) -> Widget:
        return json


class CrashEndpoint(Endpoint, path="/crash"):
    async def get(self) -> str:
        raise ValueError("boom")


class Tick(Struct):
    n: int


class TickParams(Struct):
    count: int = 3
    forever: bool = False
    fail_at: int = -1


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self, params: TickParams) -> NDJSONStreamingResponse[Tick]:
        async def ticks() -> AsyncIterator[Tick]:
            n = 0
            while params.forever or n < params.count:
                if n == params.fail_at:
                    raise LookupError("the feed broke")
                yield Tick(n)
                n += 1
                await anyio.sleep(0.001)

        return NDJSONStreamingResponse(stream=ticks())


class PlainEndpoint(Endpoint, path="/plain"):
    async def get(self) -> str:
        return "untraced"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    yield InMemorySpanExporter()


def traced_app(exporter: InMemorySpanExporter, *extra: object) -> TestClient:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Tracing(provider), *extra)  # type: ignore[arg-type]
            self._include_resource(WidgetResource())
            self._include_endpoint(CrashEndpoint())
            self._include_endpoint(TicksEndpoint())

    return TestClient(App())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


def test_a_span_per_request_named_by_the_route_template(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        response = client.get(
            "/widgets/w1?x=1", headers={"user-agent": "probe/1.0", "host": "api.example:8443"}
        )
    assert response.status_code == 200
    span = only_span(exporter)
    assert span.name == "GET /widgets/{widget_id}"
    assert span.kind is SpanKind.SERVER
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "http.route": "/widgets/{widget_id}",
        "http.response.status_code": 200,
        "url.path": "/widgets/w1",
        "url.query": "x=1",
        "url.scheme": "https",  # the test client's base URL
        "server.address": "api.example",
        "server.port": 8443,
        "client.address": "127.0.0.1",
        "client.port": 50000,
        "user_agent.original": "probe/1.0",
        "network.protocol.version": "1.1",
    }
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "jero"


def test_the_incoming_traceparent_is_the_parent(exporter: InMemorySpanExporter) -> None:
    traceparent = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
    with traced_app(exporter) as client:
        client.get("/widgets/w1", headers={"traceparent": traceparent, "tracestate": "k=v"})
    span = only_span(exporter)
    assert format(span.context.trace_id, "032x") == PARENT_TRACE
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_SPAN
    assert span.parent.is_remote
    assert span.context.trace_state.get("k") == "v"


def test_without_traceparent_a_new_trace_starts(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        client.get("/widgets/a")
        client.get("/widgets/b")
    first, second = exporter.get_finished_spans()
    assert first.parent is None
    assert first.context.trace_id != second.context.trace_id


def test_404_and_405_are_named_by_the_method_alone(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        assert client.get("/nowhere/at/all").status_code == 404
        assert client.delete("/widgets").status_code == 405
        assert client.get("/widgets/missing").status_code == 404
    not_found, not_allowed, missing = exporter.get_finished_spans()
    assert not_found.name == "GET"
    assert not_found.attributes is not None
    assert "http.route" not in not_found.attributes
    assert not_found.attributes["http.response.status_code"] == 404
    assert not_found.attributes["url.path"] == "/nowhere/at/all"
    assert not_allowed.name == "DELETE"
    assert not_allowed.attributes is not None
    assert not_allowed.attributes["http.route"] == "/widgets"
    assert not_allowed.attributes["http.response.status_code"] == 405
    # A 404 raised by the handler is the route's own answer: its name keeps the template.
    assert missing.name == "GET /widgets/{widget_id}"
    assert missing.status.status_code is StatusCode.UNSET  # 4xx is not a server error


def test_an_unknown_method_is_other(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        client.request("PURGE", "/widgets")
    span = only_span(exporter)
    assert span.name == "HTTP"
    assert span.attributes is not None
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PURGE"


def test_a_crash_is_recorded_with_its_type(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        assert client.get("/crash").status_code == 500
    span = only_span(exporter)
    assert span.name == "GET /crash"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ValueError"
    assert span.attributes["http.response.status_code"] == 500
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "boom"


def test_a_stream_span_ends_when_the_stream_ends(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        response = client.get("/ticks?count=3")
    assert response.text.count("\n") == 3
    span = only_span(exporter)
    assert span.name == "GET /ticks"
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200
    assert "jero.client_disconnected" not in span.attributes


def test_a_stream_left_early_is_marked_disconnected(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        with client.stream("GET", "/ticks?forever=true") as response:
            lines = response.iter_lines()
            assert next(lines) == '{"n":0}'
            assert exporter.get_finished_spans() == ()  # still streaming: not ended yet
        # Leaving the block disconnects; the app ends the stream, then the span.
        span = only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["jero.client_disconnected"] is True
    assert span.attributes["http.response.status_code"] == 200


def test_log_records_of_the_request_carry_its_ids(
    exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    traceparent = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
    with caplog.at_level(logging.WARNING, logger="tests.telemetry"), traced_app(exporter) as client:
        client.get("/widgets/w7", headers={"traceparent": traceparent})
    span = only_span(exporter)
    (record,) = [r for r in caplog.records if r.getMessage() == "reading w7"]
    assert record.__dict__["trace_id"] == PARENT_TRACE
    assert record.__dict__["span_id"] == format(span.context.span_id, "016x")
    outside = logging.getLogger("tests.telemetry").makeRecord(
        "tests.telemetry", logging.INFO, __file__, 1, "outside", (), None
    )
    assert outside.__dict__["trace_id"] is None


def test_routes_without_tracing_pay_nothing(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    seen: list[ASGIApp] = []

    class Spy:
        def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
            seen.append(app)
            return app

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(PlainEndpoint(), middleware=[Spy()])
            self._include_endpoint(TicksEndpoint(), middleware=[Tracing(provider)])

    with TestClient(App()) as client:
        assert client.get("/plain").text == "untraced"
        client.get("/ticks?count=1")
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /ticks"


def test_route_on_scope_exposes_the_template() -> None:
    seen: list[tuple[object, object]] = []

    class Outer:
        """Stands for instrumentation wrapped around the whole app: reads after the call."""

        def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
            async def outer(scope: Scope, receive: Receive, send: Send) -> None:
                await app(scope, receive, send)
                route_object = scope.get("route")
                seen.append(
                    (getattr(route_object, "path_format", None), scope.get("route_template"))
                )

            return outer

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Outer(), RouteOnScope())
            self._include_resource(WidgetResource())

    with TestClient(App()) as client:
        client.get("/widgets/w1")
        client.get("/nowhere")
    assert seen == [("/widgets/{widget_id}", "/widgets/{widget_id}"), (None, None)]


def test_a_stream_failing_midway_is_an_error_span(exporter: InMemorySpanExporter) -> None:
    with traced_app(exporter) as client:
        response = client.get("/ticks?count=5&fail_at=2")
    assert response.status_code == 200  # the head went out with the first item
    assert response.text.splitlines() == ['{"n":0}', '{"n":1}']
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "LookupError"
    assert span.attributes["http.response.status_code"] == 200
    assert [event.name for event in span.events] == ["exception"]


def test_excluded_routes_are_not_traced(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Tracing(provider, exclude=["/readyz", "/livez"]))
            self._include_resource(WidgetResource())
            self._include_health()

    with TestClient(App()) as client:
        assert client.get("/readyz").status_code == 200
        assert client.delete("/livez").status_code == 405
        assert client.get("/widgets/w1").status_code == 200
    assert [span.name for span in exporter.get_finished_spans()] == ["GET /widgets/{widget_id}"]


@pytest.mark.parametrize(
    ("exclude", "message"),
    [("/readyz", r"exclude=\['/readyz'\]"), (["readyz"], "not a route template")],
)
def test_a_bad_exclude_fails_at_once(exclude: object, message: str) -> None:
    with pytest.raises(WiringError, match=message):
        Tracing(exclude=exclude)  # type: ignore[arg-type]
