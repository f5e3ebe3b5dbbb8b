"""Bad input a hostile client sends is a precise 4xx problem: JSON nested too
deep, repeated single-valued headers and query keys, text where a file belongs, and
integral floats for `int` fields."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from msgspec import Meta, Struct

from jero import BaseApp, BearerAuth, Endpoint, FilePart, Resource
from jero.testing import TestClient
from tests.forms_support import CONTENT_TYPE, body, part

DEEP = 10_000


class Point(Struct, forbid_unknown_fields=False):
    x: int = 0
    y: Annotated[int, Meta(ge=0)] = 0
    scale: float = 1.0
    extra: Any = None


class Meta_(Struct):
    point: Point


class Upload(Struct):
    meta: Point | None = None
    photo: FilePart | None = None
    photos: list[FilePart] = []


class Color(Struct):
    color: str = "red"
    size: int = 1
    tags: list[str] = []


class Plain(Struct):
    """Only `str` and `int` fields: bound by the fast path (`_binding/fastpath.py`)."""

    color: str = "red"
    size: int = 1


class Shade(enum.Enum):
    DARK = "dark"


class Optional_(Struct):
    shade: Shade | None = None
    count: int | None = None
    label: str | None = None


class Trace(Struct):
    x_trace_id: str = "-"
    x_tag: list[str] = []


class User(Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def resolve_token(self, token: str) -> User:
        self.calls.append(token)
        return User(token)


class PointEndpoint(Endpoint, path="/points"):
    async def post(self, json: Point) -> Point:
        return json

    async def put(self, json: list[Point]) -> list[Point]:
        return json


class UploadEndpoint(Endpoint, path="/uploads"):
    async def post(self, form: Upload) -> str:
        names = [p.filename for p in ([form.photo] if form.photo else []) + form.photos]
        return f"{form.meta!r} {names}"


class QueryEndpoint(Endpoint, path="/query"):
    async def get(self, params: Color, headers: Trace) -> str:
        return f"{params.color} {params.size} {params.tags} {headers.x_trace_id} {headers.x_tag}"


class PlainEndpoint(Endpoint, path="/plain"):
    async def get(self, params: Plain) -> str:
        return f"{params.color} {params.size}"


class OptionalEndpoint(Endpoint, path="/optional"):
    async def get(self, params: Optional_) -> str:
        return f"{params.shade} {params.count} {params.label!r}"


class MeResource(Resource, path="/me"):
    async def read_many(self, user: User) -> str:
        return user.name


AUTH = TokenAuth()


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(PointEndpoint())
        self._include_endpoint(UploadEndpoint())
        self._include_endpoint(QueryEndpoint())
        self._include_endpoint(PlainEndpoint())
        self._include_endpoint(OptionalEndpoint())
        self._include_resource(MeResource(), auth=AUTH)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(App()) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


# --- 1. JSON nested too deep ----------------------------------------------------------

DEEP_DOCUMENTS = {
    "objects": b'{"a":' * DEEP,
    "arrays under an unknown field": b'{"b":' + b"[" * DEEP,
    "arrays under an Any field": b'{"extra":' + b"[" * DEEP + b"]" * DEEP + b"}",
}


@pytest.mark.parametrize("document", DEEP_DOCUMENTS.values(), ids=DEEP_DOCUMENTS.keys())
def test_json_nested_too_deep_is_400_malformed_request(client: TestClient, document: bytes) -> None:
    for method, content in (("POST", document), ("PUT", b"[" + document)):
        response = client.request(
            method, "/points", content=content, headers={"content-type": "application/json"}
        )
        found = problem(response, 400)
        assert found["type"] == "malformed-request"
        assert found["detail"] == "Invalid body: JSON is malformed: nesting too deep"


def test_a_json_form_part_nested_too_deep_is_400_naming_the_field(client: TestClient) -> None:
    for document in DEEP_DOCUMENTS.values():
        content = body(part("meta", document, content_type="application/json"))
        response = client.post("/uploads", content=content, headers={"content-type": CONTENT_TYPE})
        found = problem(response, 400)
        assert found["type"] == "malformed-request"
        assert found["detail"] == "Invalid form: JSON is malformed: nesting too deep - at `$.meta`"


def test_nesting_within_the_limit_still_binds(client: TestClient) -> None:
    nested = "[" * 200 + "]" * 200
    response = client.post(
        "/points", content=f'{{"extra": {nested}}}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["extra"] == msgspec.json.decode(nested)


# --- 3. single-valued headers sent twice ----------------------------------------------


def test_two_authorization_headers_are_400_before_authenticating(client: TestClient) -> None:
    AUTH.calls.clear()
    for second in ("Bearer t-bob", "Bearer t-ann"):
        headers = [("Authorization", "Bearer t-ann"), ("Authorization", second)]
        found = problem(client.get("/me", headers=headers), 400)
        assert found["type"] == "malformed-request"
        assert found["detail"] == (
            "Invalid headers: `authorization` was sent more than once; it takes one value"
        )
    assert AUTH.calls == []  # the authenticator never ran
    assert client.get("/me", headers={"Authorization": "Bearer t-ann"}).text == "t-ann"
    assert AUTH.calls == ["t-ann"]


def test_a_single_valued_header_sent_twice_is_400_and_list_fields_take_repeats(
    client: TestClient,
) -> None:
    headers = [("X-Trace-Id", "a"), ("x-trace-id", "b")]
    found = problem(client.get("/query", headers=headers), 400)
    assert found["detail"] == (
        "Invalid headers: `x-trace-id` was sent more than once; it takes one value"
    )
    response = client.get(
        "/query", headers=[("X-Tag", "a"), ("X-Tag", "b, c"), ("X-Trace-Id", "t")]
    )
    assert response.text == "red 1 [] t ['a', 'b', 'c']"


# --- 4. a text part or an urlencoded field where a file belongs -------------------------


def test_a_text_part_for_a_file_field_is_422_naming_the_field(client: TestClient) -> None:
    content = body(part("photo", b"not a file"))
    response = client.post("/uploads", content=content, headers={"content-type": CONTENT_TYPE})
    found = problem(response, 422)
    assert found["detail"] == (
        "Invalid form: Expected a file part (one with a filename), got a text part - at `$.photo`"
    )
    content = body(part("photos", b"x", filename="a.png"), part("photos", b"y"))
    response = client.post("/uploads", content=content, headers={"content-type": CONTENT_TYPE})
    assert problem(response, 422)["detail"] == (
        "Invalid form: Expected a file part (one with a filename), got a text part "
        "- at `$.photos[1]`"
    )


def test_an_urlencoded_field_for_a_file_field_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/uploads", data={"photo": "not a file"})
    assert problem(response, 422)["detail"] == (
        "Invalid form: Expected a file part (one with a filename), got a text part - at `$.photo`"
    )


def test_file_parts_with_a_filename_still_bind(client: TestClient) -> None:
    content = body(
        part("photo", b"x", filename="a.png"),
        part("photos", b"y", filename=""),  # a filename parameter, if empty, marks a file
        part("photos", b"z", filename="c.png"),
    )
    response = client.post("/uploads", content=content, headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 200, response.text
    assert response.text == "None ['a.png', '', 'c.png']"


# --- 5. a repeated query key for a scalar field -----------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("color=a&color=b", "color"),
        ("color=a&color=a", "color"),
        ("size=1&size=1", "size"),
        ("size=1&color=x&size=2", "size"),
        ("color=%61&color=b", "color"),  # percent-encoded: the slow path decides
    ],
)
def test_a_repeated_query_key_for_a_scalar_field_is_400_naming_it(
    client: TestClient, query: str, key: str
) -> None:
    for path in ("/query", "/plain"):
        found = problem(client.get(f"{path}?{query}"), 400)
        assert found["type"] == "malformed-request"
        assert found["detail"] == (
            f"Invalid query: `{key}` was sent more than once; it takes one value"
        )


def test_keys_the_struct_does_not_name_may_repeat(client: TestClient) -> None:
    assert client.get("/plain?x=1&x=2&size=3").text == "red 3"
    assert client.get("/plain?x=%31&x=2&color=b").text == "b 1"


def test_list_fields_take_repeated_query_keys(client: TestClient) -> None:
    assert client.get("/query?tags=a&tags=b&color=c").text == "c 1 ['a', 'b'] - []"


# --- 6. integral floats for int fields ----------------------------------------------------


def test_an_integral_float_binds_an_int_field_exactly(client: TestClient) -> None:
    document = b'{"x": 3456.0, "y": 1e3, "scale": 2.0, "extra": [1.5, 2.0]}'
    response = client.post(
        "/points", content=document, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.content == b'{"x":3456,"y":1000,"scale":2.0,"extra":[1.5,2]}'
    big = b'{"x": 9007199254740993.0}'  # not a float64: the text itself is exact
    response = client.post("/points", content=big, headers={"content-type": "application/json"})
    assert response.json()["x"] == 9007199254740993
    response = client.put("/points", json=[{"x": 1}, {"x": -2.0}])
    assert response.json()[1]["x"] == -2


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'{"x": 3.5}', "Expected `int`, got `float` - at `$.x`"),
        (b'{"x": 1e30}', "Expected `int`, got `float` - at `$.x`"),
        (b'{"y": -1.0}', "Expected `int` >= 0 - at `$.y`"),
        (b'{"x": "3"}', "Expected `int`, got `str` - at `$.x`"),
    ],
)
def test_a_fractional_float_or_constraint_breach_for_an_int_field_is_still_422(
    client: TestClient, document: bytes, reason: str
) -> None:
    response = client.post(
        "/points", content=document, headers={"content-type": "application/json"}
    )
    assert problem(response, 422)["detail"] == f"Invalid body: {reason}"


def test_an_integral_float_binds_in_a_json_form_part(client: TestClient) -> None:
    content = body(part("meta", b'{"x": 7.0}', content_type="application/json"))
    response = client.post("/uploads", content=content, headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 200, response.text
    assert response.text.startswith("Point(x=7, ")


# --- the text `null` is not None --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("shade=null", "Invalid enum value - at `$.shade`"),
        ("count=null", "Expected `int`, got `str` - at `$.count`"),
    ],
)
def test_the_text_null_for_an_optional_field_is_400_not_none(
    client: TestClient, query: str, reason: str
) -> None:
    # An absent parameter is None; the document shows no `null` a client could send.
    assert problem(client.get(f"/optional?{query}"), 400)["detail"] == f"Invalid query: {reason}"


def test_optional_fields_bind_when_absent_or_given_and_null_is_text_for_str(
    client: TestClient,
) -> None:
    assert client.get("/optional").text == "None None None"
    assert client.get("/optional?shade=dark&count=2").text == "Shade.DARK 2 None"
    assert client.get("/optional?label=null").text == "None None 'null'"
