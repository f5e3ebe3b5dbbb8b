"""The OpenAPI document derives parameters, bodies, responses and errors from the types."""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Annotated, Literal

import jsonschema
import msgspec
import pytest
from msgspec import Meta, Struct

from jero import (
    Accepted,
    BytesResponse,
    ConflictError,
    Created,
    Endpoint,
    HTTPError,
    JSONResponse,
    NoContent,
    NotFoundError,
    OperationMeta,
    Resource,
    WiringError,
)
from jero.testing import TestClient
from tests.openapi_helpers import (
    PROBLEM,
    DocumentedApp,
    component,
    document_of,
    operation,
    parameters,
    problem_schemas,
    wire_document,
    with_components,
)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Widget(Struct, rename="camel"):
    """A widget in the catalog."""

    widget_id: str
    unit_price: Annotated[int, Meta(ge=0, description="Euro cents")]
    color: Color = Color.RED


class NewWidget(Struct, rename="camel"):
    unit_price: Annotated[int, Meta(ge=0)]


class ShopPath(Struct):
    shop_id: str


class WidgetPath(Struct):
    shop_id: str
    widget_id: Annotated[int, Meta(ge=1)]


class Query(Struct, rename="camel"):
    page_size: Annotated[int, Meta(ge=1, le=100)] = 20
    color: Color | None = None
    tags: list[str] = []
    since: datetime.datetime | None = None
    search_text: str = ""
    exact: bool = False


class Required(Struct):
    token: uuid.UUID


class TraceHeaders(Struct):
    x_trace_id: str
    x_debug: bool = False


class CamelHeaders(Struct, rename="camel"):
    request_origin: str | None = None


class WidgetResource(Resource, path="/shops/{shop_id}/widgets"):
    async def create(self, path: ShopPath, json: NewWidget) -> Created[Widget]:
        raise NotImplementedError

    async def read_many(self, path: ShopPath, params: Query, headers: TraceHeaders) -> list[Widget]:
        raise NotImplementedError

    async def read_one(self, path: WidgetPath, headers: CamelHeaders) -> Widget:
        raise NotImplementedError

    async def update_full(self, path: WidgetPath, content: bytes) -> Widget:
        raise NotImplementedError

    async def delete(self, path: WidgetPath) -> NoContent:
        raise NotImplementedError


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"

    async def post(self, params: Required) -> bytes:
        return b""


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    return document_of(WidgetResource(), PingEndpoint())


# --- operations --------------------------------------------------------------------


def test_one_operation_per_route_named_after_class_and_method(document: dict) -> None:
    ids = {
        (path, method): op["operationId"]
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert ids == {
        ("/shops/{shop_id}/widgets", "post"): "WidgetResource.create",
        ("/shops/{shop_id}/widgets", "get"): "WidgetResource.read_many",
        ("/shops/{shop_id}/widgets/{widget_id}", "get"): "WidgetResource.read_one",
        ("/shops/{shop_id}/widgets/{widget_id}", "put"): "WidgetResource.update_full",
        ("/shops/{shop_id}/widgets/{widget_id}", "delete"): "WidgetResource.delete",
        ("/ping", "get"): "PingEndpoint.get",
        ("/ping", "post"): "PingEndpoint.post",
    }
    assert "/openapi.json" not in document["paths"]
    assert "/docs" not in document["paths"]


def test_document_header(document: dict) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Test", "version": "1"}
    assert "servers" not in document


# --- parameters --------------------------------------------------------------------


def test_path_parameters_use_the_slot_names_and_field_schemas(document: dict) -> None:
    found = parameters(document, "get", "/shops/{shop_id}/widgets/{widget_id}")
    assert found["shop_id"] == {
        "name": "shop_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert found["widget_id"]["schema"] == {"type": "integer", "minimum": 1}


def test_query_parameters_honour_rename_defaults_and_lists(document: dict) -> None:
    found = parameters(document, "get", "/shops/{shop_id}/widgets")
    assert found["pageSize"] == {
        "name": "pageSize",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    }
    # `X | None = None`: absent means None, so the value itself is never null.
    assert found["color"]["schema"] == {"$ref": "#/components/schemas/Color"}
    assert found["tags"]["schema"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert found["since"]["schema"] == {"type": "string"}
    assert found["exact"]["schema"] == {"type": "boolean", "default": False}
    assert component(document, "Color") == {"title": "Color", "enum": ["blue", "red"]}


def test_required_query_parameter(document: dict) -> None:
    found = parameters(document, "post", "/ping")
    assert found["token"] == {
        "name": "token",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def test_header_parameters_use_wire_names(document: dict) -> None:
    found = parameters(document, "get", "/shops/{shop_id}/widgets")
    assert found["x-trace-id"] == {
        "name": "x-trace-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    }
    assert found["x-debug"]["required"] is False
    camel = parameters(document, "get", "/shops/{shop_id}/widgets/{widget_id}")
    assert camel["request-origin"]["in"] == "header"
    assert camel["request-origin"]["schema"] == {"type": "string"}


class Nested(Struct):
    inner: Widget


class Bad(Endpoint, path="/bad"):
    async def get(self, params: Nested) -> str:
        return ""


def test_a_query_field_that_text_cannot_carry_fails_the_boot() -> None:
    # The rule is binding's (tests/binding/test_text_fields.py); the document relies on it.
    with pytest.raises(WiringError, match=r"Bad\.get parameter `params`: field `inner` of Nested"):
        wire_document(Bad())


# --- request bodies ----------------------------------------------------------------


def test_json_body(document: dict) -> None:
    body = operation(document, "post", "/shops/{shop_id}/widgets")["requestBody"]
    assert body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewWidget"}}},
    }
    assert component(document, "NewWidget")["properties"] == {
        "unitPrice": {"type": "integer", "minimum": 0}
    }


def test_raw_body_is_any_bytes(document: dict) -> None:
    body = operation(document, "put", "/shops/{shop_id}/widgets/{widget_id}")["requestBody"]
    assert body == {"required": False, "content": {"application/octet-stream": {}}}


class Card(Struct, tag="card"):
    last_four: str


class Invoice(Struct, tag="invoice"):
    vat_id: str


class PaymentEndpoint(Endpoint, path="/payments"):
    async def post(self, json: Card | Invoice) -> list[Card | Invoice]:
        return [json]


def test_tagged_union_body_has_a_discriminator() -> None:
    document = document_of(PaymentEndpoint())
    post = operation(document, "post", "/payments")
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {
        "anyOf": [
            {"$ref": "#/components/schemas/Card"},
            {"$ref": "#/components/schemas/Invoice"},
        ],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                "card": "#/components/schemas/Card",
                "invoice": "#/components/schemas/Invoice",
            },
        },
    }
    assert component(document, "Card")["properties"]["type"] == {"enum": ["card"]}
    items = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert items["type"] == "array"
    assert items["items"]["discriminator"]["propertyName"] == "type"


# --- responses ---------------------------------------------------------------------


def test_status_and_body_from_the_return_type(document: dict) -> None:
    create = operation(document, "post", "/shops/{shop_id}/widgets")["responses"]["201"]
    assert create == {
        "description": "Created",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}},
    }
    many = operation(document, "get", "/shops/{shop_id}/widgets")["responses"]["200"]
    assert many["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Widget"},
    }
    delete = operation(document, "delete", "/shops/{shop_id}/widgets/{widget_id}")
    assert delete["responses"]["204"] == {"description": "No Content"}
    ping = operation(document, "get", "/ping")["responses"]["200"]
    assert ping["content"] == {"text/plain": {"schema": {"type": "string"}}}
    raw = operation(document, "post", "/ping")["responses"]["200"]
    assert raw["content"] == {"application/octet-stream": {}}


def test_components_come_from_msgspec(document: dict) -> None:
    widget = component(document, "Widget")
    assert widget == {
        "title": "Widget",
        "description": "A widget in the catalog.",
        "type": "object",
        "properties": {
            "widgetId": {"type": "string"},
            "unitPrice": {"description": "Euro cents", "type": "integer", "minimum": 0},
            "color": {"$ref": "#/components/schemas/Color", "default": "red"},
        },
        "required": ["widgetId", "unitPrice"],
    }


class PendingOrder(Struct):
    retry_after: int


class Location(Struct):
    location: str


class Rate(Struct):
    x_rate_limit: int
    x_remaining: int | None = None
    x_window: list[int] | None = None


class OtherRate(Struct):
    x_rate_limit: int


class UnionEndpoint(Endpoint, path="/union"):
    async def get(self) -> Widget | Accepted[PendingOrder, Location] | NoContent[Rate]:
        raise NotImplementedError

    async def post(self) -> JSONResponse[Widget, Rate] | JSONResponse[list[Widget], OtherRate]:
        raise NotImplementedError

    async def put(self) -> BytesResponse | Widget:
        raise NotImplementedError


def test_each_union_member_keeps_its_status_and_headers() -> None:
    responses = operation(document_of(UnionEndpoint()), "get", "/union")["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Widget"
    }
    assert responses["202"] == {
        "description": "Accepted",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PendingOrder"}}},
        "headers": {"location": {"schema": {"type": "string"}, "required": True}},
    }
    headers = responses["204"]["headers"]
    assert headers["x-rate-limit"] == {"schema": {"type": "integer"}, "required": True}
    # May be None, so it is sometimes left out; nested values travel as JSON text.
    assert headers["x-remaining"] == {"schema": {"type": "integer"}, "required": False}
    assert headers["x-window"] == {
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "integer"}}}
        },
        "required": False,
    }


def test_same_status_members_merge_their_bodies_and_headers() -> None:
    document = document_of(UnionEndpoint())
    ok = operation(document, "post", "/union")["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}},
            {"$ref": "#/components/schemas/Widget"},
        ]
    }
    # Sent by both outcomes: required; sent by one only: optional.
    assert ok["headers"]["x-rate-limit"]["required"] is True
    assert ok["headers"]["x-remaining"]["required"] is False
    put = operation(document, "put", "/union")["responses"]["200"]
    assert put["content"] == {
        "*/*": {},
        "application/json": {"schema": {"$ref": "#/components/schemas/Widget"}},
    }


class First(Struct):
    a: int


class Second(Struct):
    b: int


class Ambiguous(Endpoint, path="/ambiguous"):
    async def get(self) -> First | Second:
        raise NotImplementedError


class Holder(Struct):
    either: First | Second


class Holds(Endpoint, path="/holds"):
    async def get(self) -> Holder:
        raise NotImplementedError


class Point:
    pass


class PointHolder(Struct):
    where: Point


class Plot(Endpoint, path="/plot"):
    async def get(self) -> PointHolder:
        raise NotImplementedError


def test_an_untagged_union_of_structs_fails_the_boot() -> None:
    with pytest.raises(WiringError, match=r"Ambiguous\.get: the 200 JSON response: .*tagged"):
        wire_document(Ambiguous())


def test_an_untagged_union_inside_a_struct_fails_the_boot() -> None:
    with pytest.raises(WiringError, match=r"Holds\.get: .* cannot be described in OpenAPI"):
        wire_document(Holds())


def test_a_type_msgspec_cannot_describe_fails_the_boot_unless_hooked() -> None:
    with pytest.raises(WiringError, match=r"Plot\.get: .*schema_hook="):
        wire_document(Plot())

    def hook(tp: type) -> dict[str, object]:
        assert tp is Point
        return {"type": "string", "pattern": "^[0-9]+,[0-9]+$"}

    document = document_of(Plot(), schema_hook=hook)
    assert component(document, "PointHolder")["properties"]["where"]["type"] == "string"


# --- errors ------------------------------------------------------------------------


def _error_types(document: dict, method: str, path: str) -> dict[str, list[str]]:
    """Status → the problem `type` codes documented for it."""
    found: dict[str, list[str]] = {}
    for status, response in operation(document, method, path)["responses"].items():
        if status != "default" and PROBLEM in response.get("content", {}):
            schemas = problem_schemas(document, response)
            found[status] = [schema["properties"]["type"]["const"] for schema in schemas]
    return found


def test_framework_errors_follow_the_sources(document: dict) -> None:
    assert _error_types(document, "get", "/ping") == {"500": ["internal-server-error"]}
    assert _error_types(document, "post", "/ping") == {
        "400": ["malformed-request"],
        "500": ["internal-server-error"],
    }
    assert _error_types(document, "post", "/shops/{shop_id}/widgets") == {
        "400": ["malformed-request"],
        "404": ["not-found"],
        "408": ["request-timeout"],
        "413": ["payload-too-large"],
        "415": ["unsupported-media-type"],
        "422": ["validation-failed"],
        "500": ["internal-server-error"],
    }
    assert _error_types(document, "put", "/shops/{shop_id}/widgets/{widget_id}") == {
        "400": ["malformed-request"],
        "404": ["not-found"],
        "408": ["request-timeout"],
        "413": ["payload-too-large"],
        "500": ["internal-server-error"],
    }
    assert _error_types(document, "delete", "/shops/{shop_id}/widgets/{widget_id}") == {
        "404": ["not-found"],
        "500": ["internal-server-error"],
    }


def test_framework_error_schemas(document: dict) -> None:
    invalid = component(document, "InvalidInputError")
    assert invalid["properties"]["type"] == {"const": "malformed-request"}
    assert invalid["properties"]["status"] == {"type": "integer", "const": 400}
    assert invalid["properties"]["params"] == {"$ref": "#/components/schemas/InputProblem"}
    assert invalid["required"] == ["type", "title", "status", "detail", "params"]
    assert component(document, "NotFoundError")["required"] == ["type", "title", "status"]


class ItemRef(Struct, rename="camel"):
    item_id: str


class ItemNotFoundError(
    NotFoundError[ItemRef], type="item-not-found", title="Item not found", detail="No {item_id}"
):
    pass


class ItemGoneError(NotFoundError, type="item-gone", title="Item gone"):
    pass


class LockedError(ConflictError, type="locked", title="Locked"):
    pass


class ItemPath(Struct):
    item_id: str


class ItemResource(
    Resource,
    path="/items",
    meta_read_one=OperationMeta(errors=[ItemNotFoundError, ItemGoneError]),
    meta_delete=OperationMeta(errors=[LockedError]),
):
    async def read_one(self, path: ItemPath) -> Widget:
        raise NotImplementedError

    async def delete(self, path: ItemPath) -> NoContent:
        raise NotImplementedError


def test_declared_errors_are_documented_with_their_type() -> None:
    document = document_of(ItemResource())
    not_found = operation(document, "get", "/items/{item_id}")["responses"]["404"]
    assert not_found["description"] == "Not found or Item not found or Item gone"
    assert not_found["content"][PROBLEM]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/NotFoundError"},
            {"$ref": "#/components/schemas/ItemNotFoundError"},
            {"$ref": "#/components/schemas/ItemGoneError"},
        ],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                "not-found": "#/components/schemas/NotFoundError",
                "item-not-found": "#/components/schemas/ItemNotFoundError",
                "item-gone": "#/components/schemas/ItemGoneError",
            },
        },
    }
    item = component(document, "ItemNotFoundError")
    assert item["properties"]["type"] == {"const": "item-not-found"}
    assert item["properties"]["params"] == {"$ref": "#/components/schemas/ItemRef"}
    assert component(document, "ItemRef")["properties"] == {"itemId": {"type": "string"}}
    assert _error_types(document, "delete", "/items/{item_id}")["409"] == ["locked"]


def test_errors_sharing_a_type_are_not_discriminated() -> None:
    class Twin(NotFoundError, title="Twin"):
        pass

    class Twins(Endpoint, path="/twins", meta_get=OperationMeta(errors=[NotFoundError, Twin])):
        async def get(self) -> str:
            return ""

    schema = operation(document_of(Twins()), "get", "/twins")["responses"]["404"]
    assert schema["content"][PROBLEM]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/NotFoundError"},
            {"$ref": "#/components/schemas/Twin"},
        ]
    }


def test_an_error_class_named_like_a_struct_gets_a_qualified_name() -> None:
    class Widget(HTTPError, type="widget-error", title="Widget error", status=409):
        pass

    class Clash(Endpoint, path="/clash", meta_get=OperationMeta(errors=[Widget])):
        async def get(self) -> list[Widget]:
            raise NotImplementedError

    document = document_of(Clash())
    names = set(document["components"]["schemas"])
    assert "Widget" in names
    qualified = [n for n in names if n.endswith(".Widget")]
    assert len(qualified) == 1, names
    assert component(document, qualified[0])["properties"]["type"] == {"const": "widget-error"}


def test_errors_must_be_http_error_classes() -> None:
    class Wrong(Endpoint, path="/wrong", meta_get=OperationMeta(errors=[ValueError])):  # type: ignore[list-item]
        async def get(self) -> str:
            return ""

    with pytest.raises(WiringError, match=r"Wrong\.get: errors= lists .*ValueError"):
        wire_document(Wrong())


def test_a_status_documented_twice_fails_the_boot() -> None:
    class Twice(
        Endpoint,
        path="/twice",
        meta_get=OperationMeta(errors=[LockedError], responses={409: JSONResponse[Widget]}),
    ):
        async def get(self) -> str:
            return ""

    with pytest.raises(WiringError, match=r"Twice\.get: status 409 is documented both"):
        wire_document(Twice())


class Failing(
    Endpoint, path="/fails/{item_id}", meta_get=OperationMeta(errors=[ItemNotFoundError])
):
    async def get(self, path: ItemPath) -> Widget:
        raise ItemNotFoundError(ItemRef(path.item_id))


def test_problem_bodies_match_their_documented_schemas() -> None:
    with TestClient(DocumentedApp([Failing()])) as client:
        document = client.get("/openapi.json").json()
        body = client.get("/fails/abc").json()
    content = operation(document, "get", "/fails/{item_id}")["responses"]["404"]["content"]
    jsonschema.validate(body, with_components(document, content[PROBLEM]["schema"]))
    assert body["params"] == {"itemId": "abc"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**body, "type": "other"},
            with_components(document, content[PROBLEM]["schema"]),
        )


def test_msgspec_schema_of_the_problem_struct_is_compatible() -> None:
    # The framework answers every error with jero.Problem; the documented error schemas
    # must stay a refinement of it.
    from jero import Problem

    schema = msgspec.json.schema(Problem)
    problem = schema["$defs"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}


class Filter(Struct):
    state: Literal["open", "closed"] = "open"


class States(Endpoint, path="/states"):
    async def get(self, params: Filter) -> str:
        return ""


def test_literal_parameters() -> None:
    found = parameters(document_of(States()), "get", "/states")
    assert found["state"]["schema"] == {"enum": ["closed", "open"], "default": "open"}
