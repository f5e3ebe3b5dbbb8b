"""HTTPError declarations and how raised errors are answered (RFC 9457 problem details)."""

import json
import logging
from collections.abc import Iterator

import pytest
from msgspec import Struct

import jero
from jero import (
    ConflictError,
    Endpoint,
    HTTPError,
    NotFoundError,
    WiringError,
)
from jero.testing import TestClient
from tests.routes_app import app_of


class WidgetRef(Struct, rename="camel"):
    widget_id: str
    shop_id: int


class OutOfStockError(HTTPError, type="out-of-stock", title="Out of stock", status=409):
    pass


class WidgetNotFoundError(
    NotFoundError[WidgetRef],
    type="widget-not-found",
    title="Widget not found",
    detail="Widget {widget_id} not found in shop {shop_id}",
):
    pass


class TeapotError(
    HTTPError[WidgetRef], type="teapot", title="Teapot", status=418, detail="{widget_id}"
):
    pass


class RefinedTeapotError(TeapotError, type="refined-teapot"):
    pass


class Mode(Struct):
    mode: str


class RaisingEndpoint(Endpoint, path="/raise"):
    async def get(self, params: Mode) -> str:
        match params.mode:
            case "static":
                raise OutOfStockError()
            case "params":
                raise WidgetNotFoundError(WidgetRef(widget_id="w42", shop_id=7))
            case "headers":
                raise ConflictError(headers={"Retry-After": "30", "x-reason": "busy"})
            case "with-headers":
                raise OutOfStockError().with_headers({"retry-after": "5"})
            case "builtin":
                raise ConflictError()
            case "bare":
                raise HTTPError()
            case "bad-header":
                raise ConflictError(headers={"x-note": "€uro"})
            case _:
                return "ok"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app_of(RaisingEndpoint())) as client:
        yield client


# --- declarations -----------------------------------------------------------------


def test_static_error_class_options() -> None:
    assert OutOfStockError.type == "out-of-stock"
    assert OutOfStockError.title == "Out of stock"
    assert OutOfStockError.status == 409
    error = OutOfStockError()
    assert error.detail is None
    assert error.params is None
    assert json.loads(error.body()) == {
        "type": "out-of-stock",
        "title": "Out of stock",
        "status": 409,
    }


def test_parameterised_error_renders_detail_and_encodes_params() -> None:
    error = WidgetNotFoundError(WidgetRef(widget_id="w42", shop_id=7))
    assert error.detail == "Widget w42 not found in shop 7"
    assert str(error) == "Widget w42 not found in shop 7"
    assert json.loads(error.body()) == {
        "type": "widget-not-found",
        "title": "Widget not found",
        "status": 404,
        "detail": "Widget w42 not found in shop 7",
        "params": {"widgetId": "w42", "shopId": 7},
    }


def test_subclass_of_generic_builtin_keeps_its_status() -> None:
    assert WidgetNotFoundError.status == 404
    assert issubclass(WidgetNotFoundError, NotFoundError)


def test_subclass_inherits_options_it_does_not_change() -> None:
    assert RefinedTeapotError.type == "refined-teapot"
    assert RefinedTeapotError.title == "Teapot"
    assert RefinedTeapotError.status == 418
    error = RefinedTeapotError(WidgetRef(widget_id="w", shop_id=1))
    assert json.loads(error.body())["params"] == {"widgetId": "w", "shopId": 1}
    assert error.detail == "w"


def test_params_without_detail_template_is_type_error() -> None:
    with pytest.raises(TypeError, match="detail and params come together"):
        OutOfStockError(WidgetRef(widget_id="w", shop_id=1))  # type: ignore[arg-type]


def test_detail_template_without_params_is_type_error() -> None:
    with pytest.raises(TypeError, match="detail and params come together"):
        WidgetNotFoundError()


def test_template_placeholder_not_a_field_is_wiring_error() -> None:
    with pytest.raises(WiringError, match=r"\{widget_name\} is not a field of WidgetRef"):

        class BadError(NotFoundError[WidgetRef], type="bad", detail="No {widget_name}"):
            pass


def test_template_positional_placeholder_is_wiring_error() -> None:
    with pytest.raises(WiringError, match="is not a field of WidgetRef"):

        class BadError(NotFoundError[WidgetRef], type="bad", detail="No {}"):
            pass


def test_detail_without_params_type_is_wiring_error() -> None:
    with pytest.raises(WiringError, match="needs a params Struct"):

        class BadError(HTTPError, type="bad", status=400, detail="oops"):
            pass


def test_non_struct_params_type_is_wiring_error() -> None:
    with pytest.raises(WiringError, match="must be a msgspec Struct"):

        class BadError(HTTPError[int], type="bad", status=400):
            pass


@pytest.mark.parametrize("status", [200, 302, 600])
def test_non_error_status_is_wiring_error(status: int) -> None:
    with pytest.raises(WiringError, match=f"status={status}"):

        class BadError(HTTPError, type="bad", status=status):
            pass


BUILT_INS = {
    "NotFoundError": (404, "not-found"),
    "MalformedRequestError": (400, "malformed-request"),
    "AuthenticationRequiredError": (401, "authentication-required"),
    "ForbiddenError": (403, "forbidden"),
    "MethodNotAllowedError": (405, "method-not-allowed"),
    "ConflictError": (409, "conflict"),
    "GoneError": (410, "gone"),
    "PayloadTooLargeError": (413, "payload-too-large"),
    "UnsupportedMediaTypeError": (415, "unsupported-media-type"),
    "ValidationFailedError": (422, "validation-failed"),
    "TooManyRequestsError": (429, "too-many-requests"),
    "InternalServerError": (500, "internal-server-error"),
    "ServiceUnavailableError": (503, "service-unavailable"),
}


@pytest.mark.parametrize(("name", "expected"), BUILT_INS.items())
def test_built_in_importable_from_jero_with_status(name: str, expected: tuple[int, str]) -> None:
    error_class = getattr(jero, name)
    assert name in jero.__all__
    assert issubclass(error_class, HTTPError)
    assert (error_class.status, error_class.type) == expected
    body = json.loads(error_class().body())
    assert body == {"type": expected[1], "title": error_class.title, "status": expected[0]}


# --- raised by a handler ------------------------------------------------------------


def test_static_error_answers_problem(client: TestClient) -> None:
    response = client.get("/raise?mode=static")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == b'{"type":"out-of-stock","title":"Out of stock","status":409}'
    assert response.headers["content-length"] == str(len(response.content))


def test_parameterised_error_answers_detail_and_params(client: TestClient) -> None:
    response = client.get("/raise?mode=params")
    assert response.status_code == 404
    assert response.json() == {
        "type": "widget-not-found",
        "title": "Widget not found",
        "status": 404,
        "detail": "Widget w42 not found in shop 7",
        "params": {"widgetId": "w42", "shopId": 7},
    }
    assert response.headers["content-length"] == str(len(response.content))


def test_error_headers_are_emitted(client: TestClient) -> None:
    response = client.get("/raise?mode=headers")
    assert response.status_code == 409
    assert response.headers["retry-after"] == "30"
    assert response.headers["x-reason"] == "busy"
    assert response.headers["content-type"] == "application/problem+json"


def test_with_headers_adds_headers(client: TestClient) -> None:
    response = client.get("/raise?mode=with-headers")
    assert response.status_code == 409
    assert response.headers["retry-after"] == "5"


def test_built_in_raised_by_handler(client: TestClient) -> None:
    response = client.get("/raise?mode=builtin")
    assert response.status_code == 409
    assert response.json() == {"type": "conflict", "title": "Conflict", "status": 409}


def test_head_of_raising_handler_has_no_body(client: TestClient) -> None:
    response = client.head("/raise?mode=params")
    assert response.status_code == 404
    assert response.content == b""


def test_bare_http_error_is_a_logged_500_naming_the_raise_site(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="jero"):
        response = client.get("/raise?mode=bare")
    assert response.status_code == 500
    assert response.json() == {
        "type": "internal-server-error",
        "title": "Internal server error",
        "status": 500,
    }
    assert response.headers["content-length"] == str(len(response.content))
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "HTTPError itself has no type or status" in str(record.exc_info[1])
    assert "raise HTTPError()" in caplog.text  # the traceback shows the raise site


def test_unencodable_error_header_is_a_logged_500(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="jero"):
        response = client.get("/raise?mode=bad-header")
    assert response.status_code == 500
    assert response.json()["type"] == "internal-server-error"
    assert [r.name for r in caplog.records] == ["jero"]
