"""The OpenAPI document covers what an operation can send: an SSE stream of Structs that
also yields plain text, and an `HTTPError` its metadata never declared."""

from __future__ import annotations

from collections.abc import AsyncIterator

import jsonschema
from msgspec import Struct

from jero import ConflictError, Endpoint, SSEResponse
from jero.testing import TestClient, iter_sse
from tests.openapi_helpers import PROBLEM, DocumentedApp, operation, with_components


class Note(Struct):
    text: str


class NotesEndpoint(Endpoint, path="/notes"):
    async def get(self) -> SSEResponse[Note]:
        async def events() -> AsyncIterator[Note | str]:
            yield Note("typed")
            yield "plain text"

        return SSEResponse(events())


class ClashEndpoint(Endpoint, path="/clash"):
    async def post(self) -> str:
        raise ConflictError()


def test_every_event_a_struct_stream_sends_matches_its_documented_data() -> None:
    with TestClient(DocumentedApp([NotesEndpoint()])) as client:
        document = client.get("/openapi.json").json()
        with client.stream("GET", "/notes") as response:
            sent = [event.data for event in iter_sse(response)]
    assert sent == ['{"text":"typed"}', "plain text"]
    event = operation(document, "get", "/notes")["responses"]["200"]["content"]
    data = with_components(document, event["text/event-stream"]["schema"]["properties"]["data"])
    for text in sent:
        jsonschema.validate(text, data)
    assert "plain text" in data["anyOf"][1]["description"]


def test_an_undeclared_http_error_is_covered_by_the_documented_default_problem() -> None:
    with TestClient(DocumentedApp([ClashEndpoint()])) as client:
        document = client.get("/openapi.json").json()
        answer = client.post("/clash")
    assert answer.status_code == 409
    responses = operation(document, "post", "/clash")["responses"]
    assert "409" not in responses
    default = responses["default"]
    schema = with_components(document, default["content"][PROBLEM]["schema"])
    jsonschema.validate(answer.json(), schema)
    assert "errors=" in default["description"]
