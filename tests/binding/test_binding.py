"""Request binding by parameter name: json, content, params, path, headers, raw_headers."""

import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

import httpx
import pytest
from msgspec import Meta, Struct

from jero import BaseApp, Endpoint, RawHeaders, Resource
from jero.testing import TestClient
from tests.asgi_driver import call
from tests.routes_app import app_of


class Widget(Struct, rename="camel"):
    widget_name: str
    unit_price: int = 0


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Query(Struct, rename="camel"):
    page_size: Annotated[int, Meta(ge=1)] = 10
    ratio: float = 0.5
    flag: bool = False
    color: Color = Color.RED
    mode: Literal["a", "b"] = "a"
    since: dt.datetime | None = None
    ref: uuid.UUID | None = None
    tags: list[str] = []
    ids: list[int] = []
    text: str = ""


class TraceHeaders(Struct):
    x_trace_id: str
    x_tag: list[str] = []
    retries: int = 0


class RenamedHeaders(Struct, rename={"request_id": "X-Request-ID"}):
    request_id: str


class NumberPath(Struct):
    number: int


class TextPath(Struct):
    text: str


class RefPath(Struct):
    ref: uuid.UUID


class WidgetEndpoint(Endpoint, path="/widget"):
    async def post(self, json: Widget) -> Widget:
        return json


class WidgetsEndpoint(Endpoint, path="/widgets"):
    async def post(self, json: list[Widget]) -> list[Widget]:
        return json


class ContentEndpoint(Endpoint, path="/content"):
    async def post(self, content: bytes) -> bytes:
        return content


class QueryEndpoint(Endpoint, path="/query"):
    async def get(self, params: Query) -> str:
        return repr(params)


class HeadersEndpoint(Endpoint, path="/headers"):
    async def get(self, headers: TraceHeaders) -> str:
        return repr(headers)


class RenamedHeadersEndpoint(Endpoint, path="/renamed-headers"):
    async def get(self, headers: RenamedHeaders) -> str:
        return headers.request_id


class RawHeadersEndpoint(Endpoint, path="/raw-headers"):
    async def get(self, raw_headers: RawHeaders) -> str:
        return f"{raw_headers['X-Tag']}|{','.join(raw_headers.getlist('x-tag'))}"


class NumberResource(Resource, path="/numbers"):
    async def read_one(self, path: NumberPath) -> str:
        return repr(path)


class TextResource(Resource, path="/texts"):
    async def read_one(self, path: TextPath) -> str:
        return repr(path)


class RefResource(Resource, path="/refs"):
    async def read_one(self, path: RefPath) -> str:
        return repr(path)


class KeywordOnlyEndpoint(Endpoint, path="/keyword-only"):
    async def post(self, *, params: Query, content: bytes, headers: TraceHeaders) -> str:
        return f"{params.page_size} {content.decode()} {headers.x_trace_id}"


class App(BaseApp):
    async def _wire(self) -> None:
        for endpoint in (
            WidgetEndpoint(),
            WidgetsEndpoint(),
            ContentEndpoint(),
            QueryEndpoint(),
            HeadersEndpoint(),
            RenamedHeadersEndpoint(),
            RawHeadersEndpoint(),
            KeywordOnlyEndpoint(),
        ):
            self._include_endpoint(endpoint)
        for resource in (NumberResource(), TextResource(), RefResource()):
            self._include_resource(resource)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(App()) as client:
        yield client


def reason(response: httpx.Response) -> str:
    return response.json()["params"]["reason"]


# --- json -------------------------------------------------------------------------


def test_json_struct_reads_and_writes_camel_names(client: TestClient) -> None:
    response = client.post("/widget", json={"widgetName": "bolt", "unitPrice": 3})
    assert response.status_code == 200
    assert response.content == b'{"widgetName":"bolt","unitPrice":3}'


def test_json_struct_rejects_python_field_names_under_camel(client: TestClient) -> None:
    response = client.post("/widget", json={"widget_name": "bolt"})
    assert response.status_code == 422
    assert reason(response) == "Object missing required field `widgetName`"


def test_json_list_of_structs_round_trips(client: TestClient) -> None:
    response = client.post("/widgets", json=[{"widgetName": "a"}, {"widgetName": "b"}])
    assert response.status_code == 200
    assert response.json() == [
        {"widgetName": "a", "unitPrice": 0},
        {"widgetName": "b", "unitPrice": 0},
    ]


def test_json_list_error_names_the_item_path(client: TestClient) -> None:
    response = client.post("/widgets", json=[{"widgetName": "a"}, {"widgetName": 3}])
    assert response.status_code == 422
    assert reason(response) == "Expected `str`, got `int` - at `$[1].widgetName`"


# --- content ----------------------------------------------------------------------


def test_content_is_the_raw_body_bytes(client: TestClient) -> None:
    response = client.post("/content", content=b"\x00\xffraw")
    assert response.status_code == 200
    assert response.content == b"\x00\xffraw"


def test_content_accepts_any_content_type(client: TestClient) -> None:
    response = client.post("/content", content=b"x", headers={"content-type": "image/png"})
    assert response.content == b"x"


def test_content_empty_body_is_empty_bytes(client: TestClient) -> None:
    response = client.post("/content")
    assert response.status_code == 200
    assert response.content == b""


# --- params -----------------------------------------------------------------------


def test_params_defaults_when_query_is_empty(client: TestClient) -> None:
    assert client.get("/query").text == repr(Query())


def test_params_convert_every_scalar_type(client: TestClient) -> None:
    ref = "12345678-1234-5678-1234-567812345678"
    query = f"pageSize=3&ratio=1.5&flag=true&color=blue&mode=b&since=2024-01-02T03:04:05Z&ref={ref}"
    response = client.get(f"/query?{query}")
    assert response.status_code == 200
    assert response.text == repr(
        Query(
            page_size=3,
            ratio=1.5,
            flag=True,
            color=Color.BLUE,
            mode="b",
            since=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            ref=uuid.UUID(ref),
        )
    )


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("false", False), ("1", True)])
def test_params_bool_spellings(client: TestClient, text: str, expected: bool) -> None:
    assert client.get(f"/query?flag={text}").text == repr(Query(flag=expected))


def test_params_lists_collect_repeated_keys(client: TestClient) -> None:
    response = client.get("/query?tags=x&ids=1&tags=y&ids=2")
    assert response.text == repr(Query(tags=["x", "y"], ids=[1, 2]))


def test_params_single_value_list(client: TestClient) -> None:
    assert client.get("/query?ids=7").text == repr(Query(ids=[7]))


def test_params_constraint_enforced_with_400(client: TestClient) -> None:
    response = client.get("/query?pageSize=0")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert reason(response) == "Expected `int` >= 1 - at `$.pageSize`"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pageSize=x", "Expected `int`, got `str` - at `$.pageSize`"),
        ("flag=maybe", "Expected `bool`, got `str` - at `$.flag`"),
        ("color=green", "Invalid enum value - at `$.color`"),
        ("mode=c", "Invalid enum value - at `$.mode`"),
        ("ids=1&ids=x", "Expected `int`, got `str` - at `$.ids[1]`"),
        ("ref=nope", "Invalid UUID - at `$.ref`"),
    ],
)
def test_params_bad_values_are_400_without_the_value(
    client: TestClient, query: str, expected: str
) -> None:
    response = client.get(f"/query?{query}")
    assert response.status_code == 400
    assert response.json()["params"] == {"source": "query", "reason": expected}


def test_params_python_names_ignored_under_camel(client: TestClient) -> None:
    assert client.get("/query?page_size=3").text == repr(Query())


def test_params_percent_encoding_and_plus_decoded(client: TestClient) -> None:
    response = client.get("/query?text=a+b%26c%3D%E2%82%AC")
    assert response.text == repr(Query(text="a b&c=€"))


def test_params_httpx_params_encoding_round_trips(client: TestClient) -> None:
    response = client.get("/query", params={"text": "x y+z/&?", "tags": ["é", "ü"]})
    assert response.text == repr(Query(text="x y+z/&?", tags=["é", "ü"]))


def test_params_blank_value_is_empty_string(client: TestClient) -> None:
    assert client.get("/query?text=&tags").text == repr(Query(tags=[""]))


@pytest.mark.parametrize(
    "query", [b"text=\xc3\xa9", b"text=\xc3\xa9&flag=%31", b"text=\xc3\xa9&x=+"]
)
def test_params_raw_utf8_bytes_decode_the_same_with_or_without_escapes(query: bytes) -> None:
    exchange = call(App(), "GET", "/query", query=query)
    assert exchange.status == 200
    assert exchange.body.decode() == repr(Query(text="é", flag=b"%31" in query))


# --- path -------------------------------------------------------------------------


def test_path_int_converted(client: TestClient) -> None:
    assert client.get("/numbers/42").text == repr(NumberPath(42))


def test_path_negative_int_converted(client: TestClient) -> None:
    assert client.get("/numbers/-3").text == repr(NumberPath(-3))


def test_path_str_is_percent_decoded(client: TestClient) -> None:
    assert client.get("/texts/a%20b").text == repr(TextPath("a b"))


def test_path_uuid_converted(client: TestClient) -> None:
    ref = uuid.uuid4()
    assert client.get(f"/refs/{ref}").text == repr(RefPath(ref))


@pytest.mark.parametrize("url", ["/numbers/x", "/numbers/1.5", "/refs/nope"])
def test_path_value_that_does_not_convert_is_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {"type": "not-found", "title": "Not found", "status": 404}


# --- headers ----------------------------------------------------------------------


def test_headers_field_reads_dashed_wire_name(client: TestClient) -> None:
    response = client.get("/headers", headers={"X-Trace-Id": "t1", "Retries": "3"})
    assert response.text == repr(TraceHeaders(x_trace_id="t1", retries=3))


def test_headers_list_from_repeated_headers(client: TestClient) -> None:
    headers = [("X-Trace-Id", "t"), ("X-Tag", "a"), ("x-tag", "b")]
    response = client.get("/headers", headers=headers)
    assert response.text == repr(TraceHeaders(x_trace_id="t", x_tag=["a", "b"]))


def test_headers_missing_required_is_400(client: TestClient) -> None:
    response = client.get("/headers")
    assert response.status_code == 400
    assert response.json()["params"]["source"] == "headers"
    assert "x_trace_id" in reason(response)


def test_headers_bad_value_is_400(client: TestClient) -> None:
    response = client.get("/headers", headers={"x-trace-id": "t", "retries": "many"})
    assert response.status_code == 400
    assert reason(response) == "Expected `int`, got `str` - at `$.retries`"


def test_headers_rename_chooses_the_wire_name(client: TestClient) -> None:
    response = client.get("/renamed-headers", headers={"x-request-id": "r-1"})
    assert response.status_code == 200
    assert response.text == "r-1"


def test_headers_rename_python_name_does_not_match(client: TestClient) -> None:
    response = client.get("/renamed-headers", headers={"request-id": "r-1"})
    assert response.status_code == 400


# --- raw_headers --------------------------------------------------------------------


def test_raw_headers_bound_from_request(client: TestClient) -> None:
    response = client.get("/raw-headers", headers=[("X-Tag", "a"), ("X-Tag", "b")])
    assert response.text == "a|a,b"


def test_raw_headers_lookup_is_case_insensitive() -> None:
    headers = RawHeaders([("X-Tag", "a"), ("Content-Type", "text/plain")])
    assert headers["x-tag"] == headers["X-TAG"] == "a"
    assert "content-type" in headers
    assert "CONTENT-TYPE" in headers
    assert "missing" not in headers
    assert headers.get("missing") is None


def test_raw_headers_getlist_returns_every_value_in_order() -> None:
    headers = RawHeaders([("X-Tag", "a"), ("Other", "o"), ("x-tag", "b")])
    assert headers.getlist("X-TAG") == ["a", "b"]
    assert headers.getlist("absent") == []
    assert headers["x-tag"] == "a"


def test_raw_headers_pairs_keep_original_order_and_case() -> None:
    pairs = [("X-B", "1"), ("x-a", "2"), ("X-b", "3")]
    assert RawHeaders(pairs).pairs == (("X-B", "1"), ("x-a", "2"), ("X-b", "3"))


def test_raw_headers_from_mapping() -> None:
    headers = RawHeaders({"X-One": "1", "X-Two": "2"})
    assert headers.pairs == (("X-One", "1"), ("X-Two", "2"))
    assert len(headers) == 2
    assert list(headers) == ["x-one", "x-two"]


def test_raw_headers_is_immutable() -> None:
    headers = RawHeaders([("X-Tag", "a")])
    with pytest.raises(TypeError):
        headers["X-Tag"] = "b"  # type: ignore[index]
    with pytest.raises(AttributeError):
        headers.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(headers, "__setitem__")
    assert not hasattr(headers, "__delitem__")


def test_raw_headers_getlist_copy_does_not_alias() -> None:
    headers = RawHeaders([("X-Tag", "a")])
    headers.getlist("x-tag").append("b")
    assert headers.getlist("x-tag") == ["a"]


def test_raw_headers_equality_and_hash() -> None:
    first = RawHeaders([("X-Tag", "a"), ("X-Tag", "b")])
    same = RawHeaders([("X-Tag", "a"), ("X-Tag", "b")])
    reordered = RawHeaders([("X-Tag", "b"), ("X-Tag", "a")])
    assert first == same
    assert hash(first) == hash(same)
    assert first != reordered
    assert {first, same} == {first}


# --- signatures ---------------------------------------------------------------------


def test_keyword_only_parameters_are_bound(client: TestClient) -> None:
    response = client.post(
        "/keyword-only?pageSize=4", content=b"body", headers={"x-trace-id": "t9"}
    )
    assert response.status_code == 200
    assert response.text == "4 body t9"


def test_camel_renamed_header_fields_travel_as_dashed_names() -> None:
    class CamelHeaders(Struct, rename="camel"):
        x_trace_id: str

    class CamelEndpoint(Endpoint, path="/camel"):
        async def get(self, headers: CamelHeaders) -> str:
            return headers.x_trace_id

    with TestClient(app_of(CamelEndpoint())) as client:
        assert client.get("/camel", headers={"X-Trace-Id": "t-9"}).text == "t-9"


def test_list_headers_read_repeated_lines_and_comma_separated_values_alike() -> None:
    class Accepting(Struct):
        x_tag: list[str] = []

    class TagsEndpoint(Endpoint, path="/tags"):
        async def get(self, headers: Accepting) -> str:
            return "|".join(headers.x_tag)

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(TagsEndpoint())

    with TestClient(App()) as client:
        joined = client.get("/tags", headers=[("X-Tag", "a, b"), ("X-Tag", "c")])
        assert joined.text == "a|b|c"
        assert client.get("/tags", headers=[("X-Tag", "a,,b ,")]).text == "a|b"
