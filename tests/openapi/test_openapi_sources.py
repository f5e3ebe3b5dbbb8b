"""Every error a binding source's binder can raise is in the OpenAPI document of every
operation that takes the source: the document and the binders read one record (the
answers themselves, 408 included, are tested with the binders in tests/binding/)."""

from __future__ import annotations

import msgspec
import pytest

from jero import Endpoint, Preconditions, RawHeaders
from jero._compile.sources import SOURCES
from tests.openapi_helpers import PROBLEM, document_of, operation, problem_schemas


class Slot(msgspec.Struct):
    item_id: int


class Query(msgspec.Struct):
    limit: int = 10


class Head(msgspec.Struct):
    x_trace: str = ""


class Crumbs(msgspec.Struct):
    theme: str = "light"


class Body(msgspec.Struct):
    name: str


class Form(msgspec.Struct):
    name: str


class PathRoute(Endpoint, path="/path/{item_id}"):
    async def get(self, path: Slot) -> str:
        return "ok"


class TextRoute(Endpoint, path="/text"):
    async def get(
        self, params: Query, headers: Head, cookies: Crumbs, raw_headers: RawHeaders
    ) -> str:
        return "ok"


class JSONRoute(Endpoint, path="/json"):
    async def post(self, json: Body) -> str:
        return "ok"


class ContentRoute(Endpoint, path="/content"):
    async def post(self, content: bytes) -> str:
        return "ok"


class FormRoute(Endpoint, path="/form"):
    async def post(self, form: Form) -> str:
        return "ok"


class ConditionsRoute(Endpoint, path="/conditions"):
    async def put(self, conditions: Preconditions) -> str:
        return "ok"


ROUTES = {
    "path": ("get", "/path/{item_id}", PathRoute()),
    "params": ("get", "/text", TextRoute()),
    "headers": ("get", "/text", TextRoute()),
    "cookies": ("get", "/text", TextRoute()),
    "json": ("post", "/json", JSONRoute()),
    "content": ("post", "/content", ContentRoute()),
    "form": ("post", "/form", FormRoute()),
    "conditions": ("put", "/conditions", ConditionsRoute()),
}


def documented(document: dict, method: str, path: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for status, response in operation(document, method, path)["responses"].items():
        if status != "default" and PROBLEM in response.get("content", {}):
            for schema in problem_schemas(document, response):
                found.add((status, schema["properties"]["type"]["const"]))
    return found


@pytest.mark.parametrize(
    "source", sorted(name for name, record in SOURCES.items() if record.errors)
)
def test_every_error_of_a_source_is_documented(source: str) -> None:
    method, path, route = ROUTES[source]
    document = document_of(route, title="sources", version="1")
    listed = documented(document, method, path)
    for error in SOURCES[source].errors:
        assert (str(error.status), error.type) in listed, (source, error.__name__)
