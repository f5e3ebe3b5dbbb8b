"""Responses: plain returns, wrappers, typed and raw headers, unions, content-length."""

from collections.abc import Iterator

import httpx
import pytest
from msgspec import Struct

from jero import (
    Accepted,
    BaseApp,
    BytesResponse,
    Created,
    Endpoint,
    JSONResponse,
    NoContent,
    RawHeaders,
    Resource,
)
from jero.testing import TestClient


class Widget(Struct, rename="camel"):
    widget_id: str
    unit_price: int = 0


class Window(Struct):
    start: int
    end: int


class RateHeaders(Struct):
    x_rate_limit: int
    x_cached: bool
    x_fresh: bool
    x_note: str | None = None
    x_window: Window | None = None
    x_tags: list[str] | None = None
    x_ratio: float | None = None


class RenamedHeaders(Struct, rename={"request_id": "X-Request-ID", "trace_span": "traceSpan"}):
    request_id: str
    trace_span: str


class ETagHeaders(Struct):
    etag: str


class WidgetPath(Struct):
    widget_id: str


WIDGET = Widget(widget_id="w1", unit_price=5)


class PlainEndpoint(Endpoint, path="/plain/struct"):
    async def get(self) -> Widget:
        return WIDGET


class PlainListEndpoint(Endpoint, path="/plain/list"):
    async def get(self) -> list[Widget]:
        return [WIDGET, Widget(widget_id="w2")]


class PlainEmptyListEndpoint(Endpoint, path="/plain/empty-list"):
    async def get(self) -> list[Widget]:
        return []


class PlainTextEndpoint(Endpoint, path="/plain/text"):
    async def get(self) -> str:
        return "héllo"


class PlainBytesEndpoint(Endpoint, path="/plain/bytes"):
    async def get(self) -> bytes:
        return b"\x00\x01\xff"


class StatusEndpoint(Endpoint, path="/json/status"):
    async def get(self) -> JSONResponse[Widget]:
        return JSONResponse(WIDGET, status_code=203)


class DefaultStatusEndpoint(Endpoint, path="/json/default"):
    async def get(self) -> JSONResponse[Widget]:
        return JSONResponse(WIDGET)


class TypedHeadersEndpoint(Endpoint, path="/json/typed-headers"):
    async def get(self) -> JSONResponse[Widget, RateHeaders]:
        headers = RateHeaders(
            x_rate_limit=100,
            x_cached=True,
            x_fresh=False,
            x_window=Window(start=1, end=2),
            x_tags=["a", "b"],
            x_ratio=0.5,
        )
        return JSONResponse(WIDGET, headers=headers)


class RenamedHeadersEndpoint(Endpoint, path="/json/renamed-headers"):
    async def get(self) -> JSONResponse[Widget, RenamedHeaders]:
        return JSONResponse(WIDGET, headers=RenamedHeaders(request_id="r1", trace_span="s1"))


class RawHeadersEndpoint(Endpoint, path="/json/raw-headers"):
    async def get(self) -> JSONResponse[Widget]:
        raw = RawHeaders([("X-Tag", "a"), ("Set-Thing", "1"), ("X-Tag", "b")])
        return JSONResponse(WIDGET, raw_headers=raw)


class DictHeadersEndpoint(Endpoint, path="/json/dict-headers"):
    async def get(self) -> JSONResponse[Widget]:
        return JSONResponse(WIDGET, raw_headers={"X-One": "1", "Cache-Control": "no-store"})


class ContentTypeOverrideEndpoint(Endpoint, path="/json/content-type"):
    async def get(self) -> JSONResponse[Widget]:
        return JSONResponse(WIDGET, raw_headers={"Content-Type": "application/vnd.w+json"})


class ContentLengthEndpoint(Endpoint, path="/json/content-length"):
    async def get(self) -> JSONResponse[Widget]:
        return JSONResponse(WIDGET, raw_headers={"Content-Length": "999999"})


class BytesMediaTypeEndpoint(Endpoint, path="/bytes/media-type"):
    async def get(self) -> BytesResponse:
        return BytesResponse(b"<p>x</p>", media_type="text/html; charset=utf-8")


class BytesDefaultEndpoint(Endpoint, path="/bytes/default"):
    async def get(self) -> BytesResponse:
        return BytesResponse(b"raw", status_code=206)


class BytesHeadersEndpoint(Endpoint, path="/bytes/headers"):
    async def get(self) -> BytesResponse[ETagHeaders]:
        return BytesResponse(b"raw", media_type="image/png", headers=ETagHeaders(etag='"v1"'))


class NoContentEndpoint(Endpoint, path="/no-content"):
    async def get(self) -> NoContent:
        return NoContent()


class NoContentHeadersEndpoint(Endpoint, path="/no-content/headers"):
    async def get(self) -> NoContent[ETagHeaders]:
        return NoContent(headers=ETagHeaders(etag='"v2"'), raw_headers={"X-Extra": "1"})


class CreatedEndpoint(Endpoint, path="/created"):
    async def post(self) -> Created[Widget, ETagHeaders]:
        return Created(WIDGET, headers=ETagHeaders(etag='"c"'))


class AcceptedEndpoint(Endpoint, path="/accepted"):
    async def post(self) -> Accepted[Widget]:
        return Accepted(WIDGET)


class WidgetResource(Resource, path="/widgets"):
    async def create(self, json: Widget) -> Widget:
        return json

    async def read_one(self, path: WidgetPath) -> Widget | NoContent:
        if path.widget_id == "empty":
            return NoContent()
        return Widget(widget_id=path.widget_id)

    async def update_full(self, path: WidgetPath, json: Widget) -> Created[Widget] | Widget:
        if path.widget_id == "new":
            return Created(json)
        return json


class JSONCreateResource(Resource, path="/json-widgets"):
    async def create(self, json: Widget) -> JSONResponse[Widget]:
        return JSONResponse(json)


class App(BaseApp):
    async def _wire(self) -> None:
        for endpoint in (
            PlainEndpoint(),
            PlainListEndpoint(),
            PlainEmptyListEndpoint(),
            PlainTextEndpoint(),
            PlainBytesEndpoint(),
            StatusEndpoint(),
            DefaultStatusEndpoint(),
            TypedHeadersEndpoint(),
            RenamedHeadersEndpoint(),
            RawHeadersEndpoint(),
            DictHeadersEndpoint(),
            ContentTypeOverrideEndpoint(),
            ContentLengthEndpoint(),
            BytesMediaTypeEndpoint(),
            BytesDefaultEndpoint(),
            BytesHeadersEndpoint(),
            NoContentEndpoint(),
            NoContentHeadersEndpoint(),
            CreatedEndpoint(),
            AcceptedEndpoint(),
        ):
            self._include_endpoint(endpoint)
        self._include_resource(WidgetResource())
        self._include_resource(JSONCreateResource())


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(App()) as client:
        yield client


def assert_length(response: httpx.Response) -> None:
    assert response.headers.get_list("content-length") == [str(len(response.content))]


# --- plain returns --------------------------------------------------------------------


def test_struct_is_json_with_camel_names(client: TestClient) -> None:
    response = client.get("/plain/struct")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"widgetId":"w1","unitPrice":5}'
    assert_length(response)


def test_list_of_structs_is_json_array(client: TestClient) -> None:
    response = client.get("/plain/list")
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'[{"widgetId":"w1","unitPrice":5},{"widgetId":"w2","unitPrice":0}]'
    assert_length(response)


def test_empty_list_is_empty_json_array(client: TestClient) -> None:
    response = client.get("/plain/empty-list")
    assert response.content == b"[]"
    assert_length(response)


def test_str_is_utf8_text(client: TestClient) -> None:
    response = client.get("/plain/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == "héllo".encode()
    assert response.headers["content-length"] == "6"


def test_bytes_is_octet_stream(client: TestClient) -> None:
    response = client.get("/plain/bytes")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == b"\x00\x01\xff"
    assert_length(response)


# --- JSONResponse ---------------------------------------------------------------------


def test_json_response_status_code(client: TestClient) -> None:
    response = client.get("/json/status")
    assert response.status_code == 203
    assert response.content == b'{"widgetId":"w1","unitPrice":5}'
    assert_length(response)


def test_json_response_without_status_keeps_route_default(client: TestClient) -> None:
    assert client.get("/json/default").status_code == 200


def test_typed_headers_encoding(client: TestClient) -> None:
    response = client.get("/json/typed-headers")
    assert response.headers["x-rate-limit"] == "100"
    assert response.headers["x-cached"] == "true"
    assert response.headers["x-fresh"] == "false"
    assert response.headers["x-window"] == '{"start":1,"end":2}'
    assert response.headers["x-tags"] == '["a","b"]'
    assert response.headers["x-ratio"] == "0.5"
    assert "x-note" not in response.headers
    assert "x_rate_limit" not in response.headers
    assert response.headers["content-type"] == "application/json"
    assert_length(response)


def test_typed_headers_honour_rename(client: TestClient) -> None:
    response = client.get("/json/renamed-headers")
    names = [name for name, _ in response.headers.raw]
    assert b"x-request-id" in names
    assert b"trace-span" in names
    assert response.headers["x-request-id"] == "r1"
    assert response.headers["trace-span"] == "s1"


def test_raw_headers_keep_repeats_and_order(client: TestClient) -> None:
    response = client.get("/json/raw-headers")
    assert response.headers.get_list("x-tag") == ["a", "b"]
    assert response.headers["set-thing"] == "1"
    assert response.headers["content-type"] == "application/json"
    assert_length(response)


def test_raw_headers_as_dict(client: TestClient) -> None:
    response = client.get("/json/dict-headers")
    assert response.headers["x-one"] == "1"
    assert response.headers["cache-control"] == "no-store"


def test_raw_content_type_overrides_default(client: TestClient) -> None:
    response = client.get("/json/content-type")
    assert response.headers.get_list("content-type") == ["application/vnd.w+json"]


def test_user_content_length_is_replaced_by_framework(client: TestClient) -> None:
    response = client.get("/json/content-length")
    assert_length(response)
    assert response.content == b'{"widgetId":"w1","unitPrice":5}'


def test_all_header_names_are_lower_case(client: TestClient) -> None:
    for url in ("/json/raw-headers", "/json/dict-headers", "/json/renamed-headers"):
        names = [name for name, _ in client.get(url).headers.raw]
        assert all(name == name.lower() for name in names), names


# --- BytesResponse --------------------------------------------------------------------


def test_bytes_response_media_type(client: TestClient) -> None:
    response = client.get("/bytes/media-type")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == b"<p>x</p>"
    assert_length(response)


def test_bytes_response_default_media_type_and_status(client: TestClient) -> None:
    response = client.get("/bytes/default")
    assert response.status_code == 206
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == b"raw"


def test_bytes_response_typed_headers(client: TestClient) -> None:
    response = client.get("/bytes/headers")
    assert response.headers["etag"] == '"v1"'
    assert response.headers["content-type"] == "image/png"


# --- NoContent / Created / Accepted ----------------------------------------------------


def test_no_content_is_204_without_type_or_length(client: TestClient) -> None:
    response = client.get("/no-content")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert "content-length" not in response.headers


def test_no_content_with_typed_and_raw_headers(client: TestClient) -> None:
    response = client.get("/no-content/headers")
    assert response.status_code == 204
    assert response.headers["etag"] == '"v2"'
    assert response.headers["x-extra"] == "1"
    assert "content-length" not in response.headers


def test_created_is_201_with_headers(client: TestClient) -> None:
    response = client.post("/created")
    assert response.status_code == 201
    assert response.headers["etag"] == '"c"'
    assert response.content == b'{"widgetId":"w1","unitPrice":5}'
    assert_length(response)


def test_accepted_is_202(client: TestClient) -> None:
    response = client.post("/accepted")
    assert response.status_code == 202
    assert response.json() == {"widgetId": "w1", "unitPrice": 5}


def test_resource_create_defaults_to_201(client: TestClient) -> None:
    response = client.post("/widgets", json={"widgetId": "n"})
    assert response.status_code == 201
    assert response.content == b'{"widgetId":"n","unitPrice":0}'


def test_resource_create_json_response_keeps_201(client: TestClient) -> None:
    response = client.post("/json-widgets", json={"widgetId": "n"})
    assert response.status_code == 201


# --- unions ---------------------------------------------------------------------------


def test_union_struct_member_answers_200(client: TestClient) -> None:
    response = client.get("/widgets/w9")
    assert response.status_code == 200
    assert response.json() == {"widgetId": "w9", "unitPrice": 0}
    assert_length(response)


def test_union_no_content_member_answers_204(client: TestClient) -> None:
    response = client.get("/widgets/empty")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers


def test_union_created_member_answers_201(client: TestClient) -> None:
    response = client.put("/widgets/new", json={"widgetId": "new"})
    assert response.status_code == 201


def test_union_plain_member_answers_200(client: TestClient) -> None:
    response = client.put("/widgets/old", json={"widgetId": "old"})
    assert response.status_code == 200


def test_head_of_union_keeps_status_and_length(client: TestClient) -> None:
    get = client.get("/widgets/w9")
    head = client.head("/widgets/w9")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
