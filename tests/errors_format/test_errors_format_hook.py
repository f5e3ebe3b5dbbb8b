"""An app's `ErrorFormat` decides the media type and body of every error answer."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest

from jero import BaseApp, ErrorFormat, HTTPError, Resource, WiringError
from jero.testing import TestClient
from tests.errors_format.errors_format_support import (
    Envelope,
    EnvelopeFormat,
    SpecBody,
    SpecFormat,
    library,
)

MEDIA = "application/vnd.acme.error+json"


def envelope(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"] == MEDIA
    assert response.headers["content-length"] == str(len(response.content))
    return response.json()["error"]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(library(EnvelopeFormat())) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "code"),
    [
        (
            "POST",
            "/books",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
            "malformed-request",
        ),
        ("GET", "/books?limit=x", {}, 400, "malformed-request"),
        ("GET", "/books/x", {}, 404, "not-found"),
        ("GET", "/nowhere", {}, 404, "not-found"),
        ("DELETE", "/books", {}, 405, "method-not-allowed"),
        ("POST", "/upload", {"content": b"0123456789"}, 413, "payload-too-large"),
        (
            "POST",
            "/books",
            {"content": b"{}", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported-media-type",
        ),
        ("POST", "/books", {"json": {"title": ""}}, 422, "validation-failed"),
        ("GET", "/books?limit=0", {}, 429, "too-many-requests"),
        ("GET", "/books?limit=13", {}, 500, "internal-server-error"),
        ("GET", "/books/7", {}, 404, "shelf-missing"),
    ],
)
def test_every_error_answer_is_in_the_format(  # noqa: PLR0917
    client: TestClient, method: str, path: str, options: dict[str, Any], status: int, code: str
) -> None:
    response = client.request(method, path, **options)
    assert response.status_code == status
    body = envelope(response)
    assert body["code"] == code
    assert body["status"] == status


def test_the_format_gets_title_detail_params_and_headers_stay(client: TestClient) -> None:
    assert envelope(client.get("/books/7")) == {
        "code": "shelf-missing",
        "message": "No shelf 7",
        "status": 404,
        "params": {"shelfId": 7},
    }
    limited = client.get("/books?limit=0")
    assert limited.headers["retry-after"] == "3"
    assert envelope(limited)["message"] == "Too many requests"
    assert client.delete("/books").headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_validation_failures_carry_field_problems(client: TestClient) -> None:
    body = envelope(client.post("/books", json={"title": "", "pages": "many"}))
    assert body["fields"] == [
        {"source": "body", "path": "$.title", "message": "Expected `str` of length >= 1"}
    ]
    missing = envelope(client.post("/books", json={}))
    assert missing["fields"] == [
        {"source": "body", "path": "$.title", "message": "Object missing required field `title`"}
    ]
    query = envelope(client.get("/books?limit=x"))
    assert query["fields"] == [
        {"source": "query", "path": "$.limit", "message": "Expected `int`, got `str`"}
    ]


def test_cors_refusals_are_in_the_format(client: TestClient) -> None:
    response = client.options(
        "/books/1",
        headers={"origin": "https://app.example", "access-control-request-method": "DELETE"},
    )
    assert response.status_code == 403
    assert envelope(response)["code"] == "cors-preflight-refused"


def test_head_answers_carry_no_body(client: TestClient) -> None:
    response = client.head("/books/7")
    assert response.status_code == 404
    assert response.headers["content-type"] == MEDIA
    assert response.content == b""


def test_static_errors_are_rendered_once_per_class() -> None:
    fmt = EnvelopeFormat()
    with TestClient(library(fmt)) as client:
        first = client.get("/nowhere").content
        fmt.rendered.clear()
        assert client.get("/nowhere").content == first
        assert client.delete("/books").status_code == 405
        assert fmt.rendered == []  # both were encoded at wiring
        client.get("/books/1")
        client.get("/books/1")
        assert [c.__name__ for c in fmt.rendered] == ["ShelfMissingError"] * 2  # has params


def test_a_published_contract_shape() -> None:
    with TestClient(library(SpecFormat())) as client:
        missing = client.post("/books", json={})
        assert missing.status_code == 422
        assert missing.headers["content-type"] == "application/json"
        assert missing.json() == {"errors": {"title": ["Object missing required field `title`"]}}
        assert client.get("/books/3").json() == {"errors": {"body": ["No shelf 3"]}}


def test_the_default_stays_problem_details() -> None:
    with TestClient(library()) as client:
        response = client.get("/books/3")
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "shelf-missing"


class Wrong(msgspec.Struct):
    x: int


class WrongBody(ErrorFormat[SpecBody]):
    def render(self, error: HTTPError[Any]) -> Any:
        if error.params is not None:
            return Wrong(1)
        return SpecBody({"body": [error.title]})


def test_a_render_returning_another_type_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TestClient(library(WrongBody())) as client, caplog.at_level(logging.ERROR, "jero"):
        response = client.get("/books/3")
    assert response.status_code == 500
    assert response.json() == {"errors": {"body": ["Internal server error"]}}
    assert "WrongBody.render returned Wrong, not SpecBody" in caplog.text


class Broken(ErrorFormat[SpecBody]):
    def render(self, error: HTTPError[Any]) -> SpecBody:
        raise KeyError(error.type)


class NoBody(ErrorFormat):  # type: ignore[type-arg]
    def render(self, error: HTTPError[Any]) -> Any:
        return None


class NoRender(ErrorFormat[SpecBody]):
    pass


class App(BaseApp):
    async def _wire(self) -> None:
        pass


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (Broken(), "Broken.render fails for NotFoundError\\(\\): KeyError: 'not-found'"),
        (NoBody(), "NoBody names no body Struct"),
        (NoRender(), "NoRender does not define render"),
        (SpecFormat, "error_format=SpecFormat is a class; pass an instance"),
        ("json", "error_format= takes an ErrorFormat, got str"),
    ],
)
def test_a_bad_format_is_a_wiring_error(declared: Any, message: str) -> None:
    with pytest.raises(WiringError, match=message):
        App(error_format=declared)


def test_the_body_and_media_type_are_checked_when_declared() -> None:
    with pytest.raises(WiringError, match="the body of an ErrorFormat must be a msgspec Struct"):

        class DictBody(ErrorFormat[dict]):  # type: ignore[type-var]
            pass

    with pytest.raises(WiringError, match="'json' is not a media type"):

        class Bare(ErrorFormat[SpecBody], media_type="json"):
            pass


def test_errors_of_a_resource_without_a_handler_error_are_in_the_format() -> None:
    class Empty(Resource, path="/empty"):
        async def read_many(self) -> list[Envelope]:
            return []

    class Small(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(Empty())

    with TestClient(Small(error_format=SpecFormat())) as client:
        assert client.post("/empty").json() == {"errors": {"body": ["Method not allowed"]}}
