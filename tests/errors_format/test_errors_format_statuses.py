"""`InputStatuses`: whether unreadable input answers 400/404 or 422, and OpenAPI follows."""

from __future__ import annotations

from typing import Any

import pytest

from jero import BaseApp, InputStatuses, WiringError
from jero.testing import TestClient
from tests.errors_format.errors_format_support import SpecFormat, library

BAD_JSON = {"content": b"{", "headers": {"content-type": "application/json"}}


def statuses(client: TestClient) -> dict[str, int]:
    return {
        "body": client.post("/books", **BAD_JSON).status_code,
        "query": client.get("/books?limit=x").status_code,
        "path": client.get("/books/x").status_code,
        "schema": client.post("/books", json={"title": ""}).status_code,
        "unknown path": client.get("/nowhere").status_code,
    }


def test_the_default_is_400_404_and_422_for_the_schema() -> None:
    with TestClient(library()) as client:
        assert statuses(client) == {
            "body": 400,
            "query": 400,
            "path": 404,
            "schema": 422,
            "unknown path": 404,
        }


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (InputStatuses.all_422(), {"body": 422, "query": 422, "path": 422}),
        (InputStatuses(malformed_body=422), {"body": 422, "query": 400, "path": 404}),
        (InputStatuses(malformed_params=422), {"body": 400, "query": 422, "path": 404}),
        (InputStatuses(path=422), {"body": 400, "query": 400, "path": 422}),
    ],
)
def test_each_part_is_declared_on_its_own(
    declared: InputStatuses, expected: dict[str, int]
) -> None:
    with TestClient(library(input_statuses=declared)) as client:
        found = statuses(client)
    assert found == {**expected, "schema": 422, "unknown path": 404}


def test_a_422_keeps_the_detail_and_says_validation_failed() -> None:
    with TestClient(library(input_statuses=InputStatuses.all_422())) as client:
        query = client.get("/books?limit=x").json()
        path = client.get("/books/x").json()
    assert query == {
        "type": "validation-failed",
        "title": "Validation failed",
        "status": 422,
        "detail": "Invalid query: Expected `int`, got `str` - at `$.limit`",
        "params": {"source": "query", "reason": "Expected `int`, got `str` - at `$.limit`"},
    }
    assert path["status"] == 422
    assert path["detail"] == "Invalid path: Expected `int`, got `str` - at `$.book_id`"


def test_statuses_and_a_format_compose() -> None:
    with TestClient(library(SpecFormat(), InputStatuses.all_422())) as client:
        response = client.get("/books/x")
    assert response.status_code == 422
    assert response.json() == {"errors": {"book_id": ["Expected `int`, got `str`"]}}


def responses(document: dict[str, Any], path: str, method: str) -> list[str]:
    return list(document["paths"][path][method]["responses"])


def test_openapi_follows_the_declaration() -> None:
    with TestClient(library()) as client:
        default = client.get("/openapi.json").json()
    with TestClient(library(input_statuses=InputStatuses.all_422())) as client:
        strict = client.get("/openapi.json").json()
    assert responses(default, "/books", "get") == ["200", "400", "500", "default"]
    assert responses(strict, "/books", "get") == ["200", "422", "500", "default"]
    assert "400" in responses(default, "/books", "post")
    assert "400" not in responses(strict, "/books", "post")
    assert responses(strict, "/books/{book_id}", "get") == ["200", "404", "422", "500", "default"]
    strict_422 = strict["paths"]["/books/{book_id}"]["get"]["responses"]["422"]
    assert strict_422["description"] == "Validation failed"


class App(BaseApp):
    async def _wire(self) -> None:
        pass


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            InputStatuses(malformed_body=401),
            r"InputStatuses\(malformed_body=401\) must be 400 or 422",
        ),  # type: ignore[arg-type]
        (InputStatuses(path=400), r"InputStatuses\(path=400\) must be 404 or 422"),  # type: ignore[arg-type]
        ({"path": 422}, "input_statuses= takes an InputStatuses, got dict"),
    ],
)
def test_a_bad_declaration_is_a_wiring_error(declared: Any, message: str) -> None:
    with pytest.raises(WiringError, match=message):
        App(input_statuses=declared)
