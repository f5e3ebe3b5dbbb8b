"""The app's error format in the OpenAPI document and back through the typed client."""

from __future__ import annotations

import pytest

from jero import NotFoundError, ValidationFailedError
from jero._errors import InputProblem
from jero.client import Client, ResponseError
from jero.testing import TestClient
from tests.errors_format.errors_format_support import (
    Book,
    BookPath,
    Books,
    EnvelopeFormat,
    Paging,
    ShelfMissingError,
    ShelfRef,
    SpecFormat,
    library,
)


def test_every_error_response_is_documented_in_the_format() -> None:
    with TestClient(library(EnvelopeFormat())) as client:
        document = client.get("/openapi.json").json()
    seen = 0
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    assert response["content"] == {
                        "application/vnd.acme.error+json": {
                            "schema": {"$ref": "#/components/schemas/Envelope"}
                        }
                    }
                    seen += 1
    assert seen >= 10
    schemas = document["components"]["schemas"]
    assert schemas["EnvelopeError"]["required"] == ["code", "message", "status"]
    assert not any("Problem" in name or name == "ShelfMissingError" for name in schemas)


def test_the_client_raises_the_declared_class_with_its_typed_params() -> None:
    with TestClient(library(EnvelopeFormat())) as http:
        client = Client(Books, http=http, error_format=EnvelopeFormat())
        with pytest.raises(ShelfMissingError) as missing:
            client.call(Books.read_one, path=BookPath(book_id=9))
        assert missing.value.params == ShelfRef(shelf_id=9)
        assert missing.value.detail == "No shelf 9"
        with pytest.raises(ValidationFailedError) as invalid:
            client.call(Books.create, json=Book(""))
        assert invalid.value.params == InputProblem(
            "body", "Expected `str` of length >= 1 - at `$.title`"
        )
        assert client.call(Books.create, json=Book("Dune")) == Book("Dune")


def test_a_format_without_read_gives_the_built_in_of_the_status() -> None:
    with TestClient(library(SpecFormat())) as http:
        client = Client(Books, http=http, error_format=SpecFormat())
        with pytest.raises(NotFoundError) as missing:
            client.call(Books.read_one, path=BookPath(book_id=9))
        assert type(missing.value) is NotFoundError
        with pytest.raises(ValidationFailedError):
            client.call(Books.create, json=Book(""))
        assert client.call(Books.read_many, params=Paging(limit=5)) == []


def test_a_client_without_the_format_says_the_answer_is_not_a_problem() -> None:
    with TestClient(library(SpecFormat())) as http:
        client = Client(Books, http=http)
        with pytest.raises(ResponseError, match="404 application/json is not a problem document"):
            client.call(Books.read_one, path=BookPath(book_id=9))


def test_a_client_with_the_format_refuses_another_media_type() -> None:
    with TestClient(library()) as http:
        client = Client(Books, http=http, error_format=SpecFormat())
        with pytest.raises(ResponseError, match="application/problem\\+json is not a"):
            client.call(Books.read_one, path=BookPath(book_id=9))


def test_the_client_checks_its_format() -> None:
    with pytest.raises(Exception, match="is a class; pass an instance"):
        Client(Books, error_format=SpecFormat)  # type: ignore[arg-type]
