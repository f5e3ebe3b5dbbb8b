"""Returns are checked against the return annotation: a value of another type is a logged
500 naming the handler, the declared type and the returned type."""

import logging
from typing import Any

import pytest
from msgspec import Struct

from jero import (
    BaseApp,
    BytesResponse,
    Created,
    Endpoint,
    JSONResponse,
    NDJSONStreamingResponse,
    NoContent,
)
from jero.testing import TestClient


class Book(Struct):
    title: str


class Chair(Struct):
    legs: int


class Novel(Book):
    author: str = "anon"


def served(endpoint: Endpoint) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(endpoint)

    return TestClient(App())


WRONG_RETURNS: list[tuple[str, Any, Any, str, str]] = [
    # (case, annotation, returned value, declared name, returned name)
    ("other struct", Book, Chair(4), "Book", "Chair"),
    ("dict", Book, {"title": "x"}, "Book", "dict"),
    ("str for struct", Book, "x", "Book", "str"),
    ("no content for struct", Book, NoContent(), "Book", "NoContent"),
    ("bare body for wrapper", Created[Book], Book("x"), "Created[Book]", "Book"),
    ("list of others", list[Book], [Chair(1)], "list[Book]", "list[Chair]"),
    ("struct for list", list[Book], Book("x"), "list[Book]", "Book"),
    ("wrapped other", JSONResponse[Book], JSONResponse(Chair(1)), "Book", "Chair"),
    ("int for bytes", bytes, 5, "bytes", "int"),
    ("str for bytes response", BytesResponse, "x", "BytesResponse", "str"),
    ("outside a union", Book | NoContent, Chair(1), "Book | NoContent", "Chair"),
    ("struct for stream", NDJSONStreamingResponse[Book], Book("x"), "NDJSON", "Book"),
]


@pytest.mark.parametrize(
    ("annotation", "value", "declared", "returned"),
    [case[1:] for case in WRONG_RETURNS],
    ids=[case[0] for case in WRONG_RETURNS],
)
def test_a_return_of_another_type_is_a_logged_500(
    annotation: Any, value: Any, declared: str, returned: str, caplog: pytest.LogCaptureFixture
) -> None:
    class Shelf(Endpoint, path="/shelf"):
        async def get(self) -> Any:
            return value

    Shelf.get.__annotations__["return"] = annotation
    with served(Shelf()) as client, caplog.at_level(logging.ERROR, "jero"):
        response = client.get("/shelf")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "internal-server-error"
    (record,) = [r for r in caplog.records if r.exc_info]
    message = str(record.exc_info[1]) if record.exc_info else ""
    assert "Shelf.get" in message
    assert declared in message
    assert f"returned {returned}," in message


RIGHT_RETURNS: list[tuple[str, Any, Any, int]] = [
    ("struct", Book, Book("x"), 200),
    ("subclass", Book, Novel("x"), 200),
    ("list", list[Book], [Book("x"), Novel("y")], 200),
    ("empty list", list[Book], [], 200),
    ("wrapper", Created[Book], Created(Book("x")), 201),
    ("wrapper of subclass", Created[Book], Created(Novel("x")), 201),
    ("union member", Book | NoContent, NoContent(), 204),
    ("str", str, "x", 200),
    ("bytes", bytes, b"x", 200),
]


@pytest.mark.parametrize(
    ("annotation", "value", "status"),
    [case[1:] for case in RIGHT_RETURNS],
    ids=[case[0] for case in RIGHT_RETURNS],
)
def test_values_of_the_declared_type_and_its_subclasses_are_served(
    annotation: Any, value: Any, status: int
) -> None:
    class Shelf(Endpoint, path="/shelf"):
        async def get(self) -> Any:
            return value

    Shelf.get.__annotations__["return"] = annotation
    with served(Shelf()) as client:
        assert client.get("/shelf").status_code == status
