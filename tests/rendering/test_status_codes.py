"""The status codes the framework applies, one situation at a time."""

import enum
import logging
from collections.abc import Iterator

import httpx
import pytest
from msgspec import Struct

from jero import BaseApp, Endpoint, Limits, NoContent, Resource
from jero.testing import TestClient
from tests.asgi_driver import call

SMALL_LIMIT = 1000


class Color(enum.Enum):
    RED = "red"


class Widget(Struct):
    name: str
    color: Color = Color.RED


class WidgetPath(Struct):
    widget_id: int


class Paging(Struct):
    limit: int = 10


class Trace(Struct):
    x_retries: int = 0


class Circle(Struct, tag="circle"):
    radius: int = 1


class Square(Struct, tag="square"):
    side: int = 1


class Drawing(Struct):
    shape: Circle | Square
    color: Color = Color.RED


class DrawingEndpoint(Endpoint, path="/drawings"):
    async def post(self, json: Drawing) -> Drawing:
        return json


class WidgetResource(Resource, path="/widgets"):
    async def create(self, json: Widget) -> Widget:
        return json

    async def read_many(self, params: Paging, headers: Trace) -> list[Widget]:
        return [Widget(name=f"w{i}") for i in range(params.limit)]

    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(name=str(path.widget_id))

    async def delete(self, path: WidgetPath) -> NoContent:
        return NoContent()


class UploadEndpoint(Endpoint, path="/upload"):
    async def post(self, content: bytes) -> str:
        return str(len(content))


class BoomEndpoint(Endpoint, path="/boom"):
    async def get(self) -> str:
        raise RuntimeError("secret-token-in-traceback")


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(WidgetResource())
        self._include_endpoint(UploadEndpoint())
        self._include_endpoint(BoomEndpoint())
        self._include_endpoint(DrawingEndpoint())


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(App()) as client:
        yield client


def small_app() -> App:
    """The app with a request body limit of SMALL_LIMIT bytes."""
    return App(limits=Limits(max_body_size=SMALL_LIMIT))


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-length"] == str(len(response.content))
    return response.json()


# --- 404 --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/nope", "/widgets/1/extra", "/widgets/", "/", "/Widgets"])
def test_unknown_path_is_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert problem(response) == {"type": "not-found", "title": "Not found", "status": 404}


def test_path_value_that_does_not_convert_is_404(client: TestClient) -> None:
    response = client.get("/widgets/not-a-number")
    assert response.status_code == 404
    assert problem(response)["type"] == "not-found"


# --- 400 --------------------------------------------------------------------------


def test_malformed_query_value_is_400(client: TestClient) -> None:
    response = client.get("/widgets?limit=ten")
    assert response.status_code == 400
    assert problem(response) == {
        "type": "malformed-request",
        "title": "Malformed request",
        "status": 400,
        "detail": "Invalid query: Expected `int`, got `str` - at `$.limit`",
        "params": {"source": "query", "reason": "Expected `int`, got `str` - at `$.limit`"},
    }


def test_malformed_header_value_is_400(client: TestClient) -> None:
    response = client.get("/widgets", headers={"x-retries": "lots"})
    assert response.status_code == 400
    assert problem(response)["params"] == {
        "source": "headers",
        "reason": "Expected `int`, got `str` - at `$.x_retries`",
    }


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"name": "a"', b"", b"\xff\xfe", b'{"name": "\x80"}']
)
def test_malformed_json_body_is_400(client: TestClient, body: bytes) -> None:
    response = client.post("/widgets", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    data = problem(response)
    assert data["type"] == "malformed-request"
    assert data["params"]["source"] == "body"  # type: ignore[index]


def test_non_numeric_content_length_is_400() -> None:
    headers = [(b"content-length", b"abc"), (b"content-type", b"application/json")]
    exchange = call(App(), "POST", "/widgets", headers=headers, chunks=[b"{}"])
    assert exchange.status == 400
    assert exchange.problem()["type"] == "malformed-request"


# --- 422 --------------------------------------------------------------------------


def test_schema_failure_is_422_with_field_path(client: TestClient) -> None:
    response = client.post("/widgets", json={"name": 5})
    assert response.status_code == 422
    assert problem(response) == {
        "type": "validation-failed",
        "title": "Validation failed",
        "status": 422,
        "detail": "Invalid body: Expected `str`, got `int` - at `$.name`",
        "params": {"source": "body", "reason": "Expected `str`, got `int` - at `$.name`"},
    }


def test_schema_failure_does_not_echo_the_submitted_enum_value(client: TestClient) -> None:
    response = client.post("/widgets", json={"name": "a", "color": "SECRET-VALUE"})
    assert response.status_code == 422
    assert b"SECRET-VALUE" not in response.content
    assert problem(response)["detail"] == "Invalid body: Invalid enum value - at `$.color`"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"shape": {"type": "SECRET"}}', "Invalid value - at `$.shape.type`"),
        (b'{"shape": {"type": 98765}}', "Expected `str` - at `$.shape.type`"),
        (
            b'{"shape": {"type": "circle"}, "color": "SECRET - at `$.fake`"}',
            "Invalid enum value - at `$.color`",
        ),
        (b'{"shape": {"type": "SECRET\\nline"}}', "Invalid value - at `$.shape.type`"),
    ],
)
def test_schema_failure_never_echoes_submitted_values(
    client: TestClient, body: bytes, reason: str
) -> None:
    response = client.post("/drawings", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert b"SECRET" not in response.content
    assert b"98765" not in response.content
    assert problem(response)["params"] == {"source": "body", "reason": reason}


def test_missing_field_is_422(client: TestClient) -> None:
    response = client.post("/widgets", json={})
    assert response.status_code == 422
    assert problem(response)["detail"] == "Invalid body: Object missing required field `name`"


# --- 415 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "received"),
    [("text/plain", "text/plain"), ("application/jsonx", "application/jsonx"), (None, "none")],
)
def test_wrong_or_missing_content_type_is_415(
    client: TestClient, content_type: str | None, received: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/widgets", content=b'{"name":"a"}', headers=headers)
    assert response.status_code == 415
    assert problem(response) == {
        "type": "unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": f"Expected a body of type application/json, got {received}",
        "params": {"expected": "application/json", "received": received},
    }


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.x+json",
    ],
)
def test_json_media_types_are_accepted(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/widgets", content=b'{"name":"a"}', headers={"content-type": content_type}
    )
    assert response.status_code == 201


# --- 413 --------------------------------------------------------------------------


def test_declared_content_length_over_limit_is_413_before_reading() -> None:
    headers = [(b"content-length", b"%d" % (SMALL_LIMIT + 1))]
    app = small_app()
    exchange = call(app, "POST", "/upload", headers=headers, chunks=[b"x" * (SMALL_LIMIT + 1)])
    assert exchange.status == 413
    assert exchange.receive_calls == 0
    assert exchange.problem() == {
        "type": "payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": f"The request body exceeds {SMALL_LIMIT} bytes",
        "params": {"limit": "request body", "max_bytes": SMALL_LIMIT},
    }


def test_chunked_body_over_limit_is_413_and_reading_stops() -> None:
    app = small_app()
    chunks = [b"x" * 100] * 50
    exchange = call(app, "POST", "/upload", chunks=chunks)
    assert exchange.status == 413
    # the 11th chunk crosses 1000 bytes; nothing after it is asked for
    assert exchange.receive_calls == 11


def test_chunked_json_body_over_limit_is_413() -> None:
    app = small_app()
    headers = [(b"content-type", b"application/json")]
    chunks = [b'{"name":"', *[b"y" * 100] * 20, b'"}']
    exchange = call(app, "POST", "/widgets", headers=headers, chunks=chunks)
    assert exchange.status == 413
    assert exchange.receive_calls == 11


def test_body_exactly_at_limit_is_accepted() -> None:
    app = small_app()
    exchange = call(app, "POST", "/upload", chunks=[b"x" * 500, b"x" * 500])
    assert exchange.status == 200
    assert exchange.body == b"1000"


def test_single_message_over_limit_without_content_length_is_413() -> None:
    app = small_app()
    exchange = call(app, "POST", "/upload", chunks=[b"x" * (SMALL_LIMIT + 1)])
    assert exchange.status == 413


def test_streamed_request_body_over_limit_via_client_is_413() -> None:
    def body() -> Iterator[bytes]:
        for _ in range(20):
            yield b"z" * 100

    with TestClient(small_app()) as client:
        response = client.post("/upload", content=body())
    assert response.status_code == 413
    assert problem(response)["params"] == {"limit": "request body", "max_bytes": SMALL_LIMIT}


def test_default_limit_is_one_mebibyte(client: TestClient) -> None:
    at_limit = client.post("/upload", content=b"x" * 1024 * 1024)
    assert at_limit.text == str(1024 * 1024)
    over = client.post("/upload", content=b"x" * (1024 * 1024 + 1))
    assert over.status_code == 413
    assert problem(over)["params"] == {"limit": "request body", "max_bytes": 1024 * 1024}


# --- 405, HEAD, OPTIONS -------------------------------------------------------------


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.put("/widgets", json={"name": "a"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert problem(response) == {
        "type": "method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
    }


def test_allow_lists_item_methods(client: TestClient) -> None:
    response = client.post("/widgets/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"


def test_allow_without_get_has_no_head(client: TestClient) -> None:
    response = client.get("/upload")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"


def test_head_is_get_without_body(client: TestClient) -> None:
    get = client.get("/widgets/7")
    head = client.head("/widgets/7")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


def test_head_of_unknown_path_is_404_without_body(client: TestClient) -> None:
    response = client.head("/nope")
    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["content-type"] == "application/problem+json"


def test_head_problem_sends_no_body() -> None:
    exchange = call(App(), "HEAD", "/widgets/x")
    assert exchange.status == 404
    assert exchange.body == b""


def test_options_answers_204_with_allow(client: TestClient) -> None:
    response = client.options("/widgets")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert response.content == b""
    assert "content-type" not in response.headers


def test_options_on_unknown_path_is_404(client: TestClient) -> None:
    assert client.options("/nope").status_code == 404


# --- 500 --------------------------------------------------------------------------


def test_uncaught_exception_is_static_500_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="jero"):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == (
        b'{"type":"internal-server-error","title":"Internal server error","status":500}'
    )
    assert response.headers["content-length"] == str(len(response.content))
    records = [r for r in caplog.records if r.name == "jero"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "GET /boom" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)
    assert "secret-token-in-traceback" in caplog.text


def test_head_of_failing_get_is_500_without_body(client: TestClient) -> None:
    response = client.head("/boom")
    assert response.status_code == 500
    assert response.content == b""


@pytest.mark.parametrize("length", [b"-1", b" 5", b"1_0", b"abc"])
def test_a_content_length_that_is_not_digits_is_400(length: bytes) -> None:
    headers = [(b"content-length", length)]
    exchange = call(App(), "POST", "/upload", headers=headers, chunks=[b"12345"])
    assert exchange.status == 400
