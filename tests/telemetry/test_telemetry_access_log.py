"""AccessLog: one JSON line per request with route, status, duration, request id and
trace ids, whichever order it and Tracing / RequestId are listed in."""

from __future__ import annotations

import json
import logging

import pytest
from msgspec import Struct
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jero import AccessLog, BaseApp, Middleware, RequestId, Resource, Tracing
from jero.testing import TestClient


class Item(Struct):
    id: str


class ItemPath(Struct):
    item_id: str


class LoggedResource(Resource, path="/logged"):
    async def read_one(self, path: ItemPath) -> Item:
        return Item(path.item_id)


def run(*middleware: Middleware) -> list[logging.LogRecord]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("jero.access.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*middleware)
            self._include_resource(LoggedResource())

    try:
        with TestClient(App()) as client:
            client.get("/logged/i1", headers={"x-request-id": "req-1"})
            client.get("/elsewhere")
    finally:
        logger.removeHandler(handler)
    return records


@pytest.mark.parametrize("tracing_first", [True, False])
def test_one_json_line_per_request(tracing_first: bool) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing, access = Tracing(provider), AccessLog()
    order: list[Middleware] = [tracing, access] if tracing_first else [access, tracing]
    records = run(RequestId(access_log=False), *order)
    found, missing = (json.loads(r.getMessage()) for r in records)
    span, _ = exporter.get_finished_spans()
    assert set(found) == {
        "time", "method", "route", "path", "status", "duration_ms",
        "request_id", "trace_id", "span_id",
    }  # fmt: skip
    assert found["method"] == "GET"
    assert found["route"] == "/logged/{item_id}"
    assert found["path"] == "/logged/i1"
    assert found["status"] == 200
    assert found["request_id"] == "req-1"
    assert found["trace_id"] == format(span.context.trace_id, "032x")
    assert found["span_id"] == format(span.context.span_id, "016x")
    assert found["duration_ms"] >= 0
    assert found["time"].endswith("+00:00")
    assert (missing["route"], missing["path"], missing["status"]) == (None, "/elsewhere", 404)
    assert "\n" not in records[0].getMessage()


def test_without_tracing_the_ids_are_null() -> None:
    (found, _) = (json.loads(r.getMessage()) for r in run(AccessLog()))
    assert (found["trace_id"], found["span_id"], found["request_id"]) == (None, None, None)
    assert found["status"] == 200


def test_excluded_routes_are_not_logged() -> None:
    records = run(AccessLog(exclude=["/logged/{item_id}"]))
    (only,) = (json.loads(r.getMessage()) for r in records)
    assert only["path"] == "/elsewhere"
