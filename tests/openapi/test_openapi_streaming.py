"""Streaming responses are documented with their media type and item schema."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
from msgspec import Struct
from openapi_spec_validator import validate

from jero import (
    Endpoint,
    NDJSONStreamingResponse,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
)
from jero.testing import TestClient, iter_sse
from tests.openapi_helpers import DocumentedApp, operation, with_components


class Reading(Struct, rename="camel"):
    sensor_id: str
    value: float


class Cursor(Struct):
    x_cursor: str


async def readings() -> AsyncIterator[Reading]:
    yield Reading("t1", 20.5)
    yield Reading("t2", 21.0)


class ReadingsEndpoint(Endpoint, path="/readings"):
    async def get(self) -> NDJSONStreamingResponse[Reading, Cursor]:
        return NDJSONStreamingResponse(readings(), headers=Cursor("c1"))

    async def post(self) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"a,b\n"

        return StreamingResponse(chunks(), media_type="text/csv")


async def events() -> AsyncIterator[ServerSentEvent[Reading] | Reading]:
    yield Reading("t1", 1.5)
    yield ServerSentEvent(Reading("t2", 2.5), event="reading", id="7")


class EventsEndpoint(Endpoint, path="/events"):
    async def get(self) -> SSEResponse[Reading]:
        return SSEResponse(events())


async def lines() -> AsyncIterator[str]:
    yield "hello"


class TextEventsEndpoint(Endpoint, path="/text-events"):
    async def get(self) -> SSEResponse[str]:
        return SSEResponse(lines())


def _served() -> tuple[dict[str, Any], str, list[ServerSentEvent[str]]]:
    app = DocumentedApp([ReadingsEndpoint(), EventsEndpoint(), TextEventsEndpoint()])
    with TestClient(app) as client:
        document = client.get("/openapi.json").json()
        ndjson = client.get("/readings").text
        with client.stream("GET", "/events") as response:
            sent = list(iter_sse(response))
    validate(document)
    return document, ndjson, sent


DOCUMENT, NDJSON_BODY, EVENTS = _served()


def test_ndjson_documents_one_line_and_the_typed_headers() -> None:
    ok = operation(DOCUMENT, "get", "/readings")["responses"]["200"]
    assert ok["content"] == {
        "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Reading"}}
    }
    assert ok["headers"] == {"x-cursor": {"schema": {"type": "string"}, "required": True}}
    for line in NDJSON_BODY.splitlines():
        jsonschema.validate(
            json.loads(line),
            with_components(DOCUMENT, ok["content"]["application/x-ndjson"]["schema"]),
        )


def test_server_sent_events_document_one_event_with_json_data() -> None:
    ok = operation(DOCUMENT, "get", "/events")["responses"]["200"]
    event = ok["content"]["text/event-stream"]["schema"]
    assert event["required"] == ["data"]
    as_json, as_text = event["properties"]["data"]["anyOf"]
    assert as_json == {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": "#/components/schemas/Reading"},
    }
    assert as_text["type"] == "string"  # a stream may also yield plain `str` items
    assert set(event["properties"]) == {"data", "event", "id", "retry"}


def test_the_events_sent_match_the_documented_event() -> None:
    ok = operation(DOCUMENT, "get", "/events")["responses"]["200"]
    event_schema = ok["content"]["text/event-stream"]["schema"]
    data_schema = with_components(
        DOCUMENT, event_schema["properties"]["data"]["anyOf"][0]["contentSchema"]
    )
    assert len(EVENTS) == 2
    for sent in EVENTS:
        fields = {"data": sent.data, "event": sent.event, "id": sent.id, "retry": sent.retry}
        jsonschema.validate({k: v for k, v in fields.items() if v is not None}, event_schema)
        jsonschema.validate(json.loads(sent.data or ""), data_schema)


def test_text_events_carry_plain_text() -> None:
    ok = operation(DOCUMENT, "get", "/text-events")["responses"]["200"]
    assert ok["content"]["text/event-stream"]["schema"]["properties"]["data"] == {"type": "string"}


def test_a_byte_stream_may_be_any_media_type() -> None:
    ok = operation(DOCUMENT, "post", "/readings")["responses"]["200"]
    assert ok == {"description": "OK", "content": {"*/*": {}}}
