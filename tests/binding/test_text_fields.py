"""Shapes a text-valued source can never bind fail the boot whether or not OpenAPI is
wired; `forbid_unknown_fields` is honoured on `params` and refused on headers/cookies."""

import datetime
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

import msgspec
import pytest
from msgspec import Meta, Struct

from jero import BaseApp, Endpoint, WiringError
from jero.testing import TestClient


class Inner(Struct):
    a: int


class Colour(Enum):
    RED = "red"


def wire(endpoint: Endpoint) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(endpoint)

    return TestClient(App())


def endpoint_taking(source: str, struct: type[Struct], path: str = "/things") -> Endpoint:
    """An Endpoint whose `get` takes `source: struct` and echoes it as JSON text."""
    namespace: dict[str, Any] = {"Endpoint": Endpoint, "Shape": struct, "msgspec": msgspec}
    exec(  # the parameter name is the source, so the method is written out for each
        f"class Things(Endpoint, path={path!r}):\n"
        f"    async def get(self, {source}: Shape) -> str:\n"
        f"        return msgspec.json.encode({source}).decode()\n",
        namespace,
    )
    return namespace["Things"]()


UNBINDABLE: list[tuple[str, str, Any]] = [
    ("query", "params", Inner | None),
    ("query", "params", Inner),
    ("query", "params", dict[str, int]),
    ("query", "params", list[Inner]),
    ("query", "params", bytes),
    ("header", "headers", Inner | None),
    ("cookie", "cookies", dict[str, str]),
    ("path", "path", list[int]),
    ("path", "path", Inner),
]


@pytest.mark.parametrize(("words", "source", "field_type"), UNBINDABLE)
def test_a_field_no_text_converts_to_fails_the_boot_without_openapi(
    words: str, source: str, field_type: Any
) -> None:
    fields = [("item_id", field_type)] if source == "path" else [("item_id", field_type, None)]
    struct = msgspec.defstruct("Shape", fields)
    path = "/things/{item_id}" if source == "path" else "/things"
    with pytest.raises(WiringError) as caught, wire(endpoint_taking(source, struct, path)):
        pass
    message = str(caught.value)
    assert f"Things.get parameter `{source}`: field `item_id` of Shape" in message
    assert f"which a {words} value (text) cannot carry" in message


BINDABLE: list[Any] = [
    int,
    str | None,
    Annotated[int, Meta(ge=1)],
    Literal["a", "b"],
    Colour,
    datetime.datetime,
    uuid.UUID,
    Decimal,
    bool,
    list[int],
    set[str] | None,
]


@pytest.mark.parametrize("field_type", BINDABLE)
def test_text_shapes_still_wire(field_type: Any) -> None:
    struct = msgspec.defstruct("Shape", [("item_id", field_type, None)])
    with wire(endpoint_taking("params", struct)) as client:
        assert client.get("/things").status_code == 200


class Strict(Struct, forbid_unknown_fields=True):
    limit: int = 10
    name: str = ""


class Listing(Endpoint, path="/listing"):
    async def get(self, params: Strict) -> str:
        return f"{params.limit}:{params.name}"


@pytest.mark.parametrize("query", ["limt=3", "limit=3&limt=3", "limit=3&limt=%20x", "limt"])
def test_forbid_unknown_fields_on_params_is_a_400_naming_the_key(query: str) -> None:
    with wire(Listing()) as client:
        response = client.get(f"/listing?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid query: Object contains unknown field `limt`"


def test_forbid_unknown_fields_on_params_still_binds_known_keys() -> None:
    with wire(Listing()) as client:
        assert client.get("/listing?limit=3&name=x").text == "3:x"
        assert client.get("/listing").text == "10:"


class StrictHeaders(Struct, forbid_unknown_fields=True):
    x_trace: str = ""


@pytest.mark.parametrize("source", ["headers", "cookies"])
def test_forbid_unknown_fields_on_headers_and_cookies_is_refused(source: str) -> None:
    with pytest.raises(WiringError) as caught, wire(endpoint_taking(source, StrictHeaders)):
        pass
    assert "StrictHeaders sets forbid_unknown_fields=True" in str(caught.value)
    assert f"every request carries {source}" in str(caught.value)
