"""A small catalog API with its OpenAPI document and docs page.

Serve it with `uv run granian --interface asgi examples.catalog:app`, then open
http://127.0.0.1:8000/docs (Swagger UI) or fetch /openapi.json.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Annotated, Literal

from msgspec import Meta, Struct

from jero import (
    Accepted,
    AuthenticationRequiredError,
    BaseApp,
    BearerAuth,
    BytesResponse,
    ConflictError,
    Created,
    Endpoint,
    EndpointMeta,
    JSONResponse,
    NoContent,
    NotFoundError,
    OperationMeta,
    Resource,
    ResourceMeta,
)

Name = Annotated[str, Meta(min_length=1, max_length=80, description="Shown to customers")]
Cents = Annotated[int, Meta(ge=0, le=100_000_000, description="Price in euro cents")]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


# --- widgets -----------------------------------------------------------------------


class Widget(Struct, rename="camel"):
    """A product in the catalog."""

    widget_id: uuid.UUID
    name: Name
    price: Cents
    color: Color
    created_at: datetime.datetime
    tags: list[str] = []


class NewWidget(Struct, rename="camel", forbid_unknown_fields=True):
    name: Name
    price: Cents
    color: Color = Color.RED
    tags: Annotated[list[str], Meta(max_length=5)] = []


class WidgetPatch(Struct, rename="camel", forbid_unknown_fields=True):
    name: Name | None = None
    price: Cents | None = None


class WidgetPath(Struct):
    widget_id: uuid.UUID


class WidgetQuery(Struct, rename="camel"):
    limit: Annotated[int, Meta(ge=1, le=50)] = 10
    color: Color | None = None
    name_prefix: str | None = None


class PageHeaders(Struct):
    x_total_count: int


class LocationHeaders(Struct):
    location: str


class WidgetRef(Struct, rename="camel"):
    widget_id: str


class WidgetNotFoundError(
    NotFoundError[WidgetRef],
    type="widget-not-found",
    title="Widget not found",
    detail="Widget {widget_id} not found",
):
    pass


class DuplicateNameError(ConflictError, type="duplicate-widget-name", title="Name taken"):
    pass


class WidgetResource(
    Resource,
    path="/widgets",
    meta=ResourceMeta(tags=["widgets"]),
    meta_create=OperationMeta(summary="Add a widget", errors=[DuplicateNameError]),
    meta_read_many=OperationMeta(summary="List widgets"),
    meta_read_one=OperationMeta(summary="Fetch a widget", errors=[WidgetNotFoundError]),
    meta_update_partial=OperationMeta(summary="Change a widget", errors=[WidgetNotFoundError]),
    meta_delete=OperationMeta(summary="Remove a widget", errors=[WidgetNotFoundError]),
):
    def __init__(self) -> None:
        self._widgets: dict[uuid.UUID, Widget] = {}

    async def create(self, json: NewWidget) -> Created[Widget, LocationHeaders]:
        if any(w.name == json.name for w in self._widgets.values()):
            raise DuplicateNameError()
        widget = Widget(
            widget_id=uuid.uuid4(),
            name=json.name,
            price=json.price,
            color=json.color,
            created_at=datetime.datetime.now(datetime.UTC),
            tags=json.tags,
        )
        self._widgets[widget.widget_id] = widget
        return Created(widget, headers=LocationHeaders(f"/widgets/{widget.widget_id}"))

    async def read_many(self, params: WidgetQuery) -> JSONResponse[list[Widget], PageHeaders]:
        found = [
            w
            for w in self._widgets.values()
            if (params.color is None or w.color == params.color)
            and (params.name_prefix is None or w.name.startswith(params.name_prefix))
        ]
        return JSONResponse(found[: params.limit], headers=PageHeaders(len(found)))

    async def read_one(self, path: WidgetPath) -> Widget:
        return self._get(path)

    async def update_partial(self, path: WidgetPath, json: WidgetPatch) -> Widget:
        widget = self._get(path)
        if json.name is not None:
            widget.name = json.name
        if json.price is not None:
            widget.price = json.price
        return widget

    async def delete(self, path: WidgetPath) -> NoContent:
        self._get(path)
        del self._widgets[path.widget_id]
        return NoContent()

    def _get(self, path: WidgetPath) -> Widget:
        widget = self._widgets.get(path.widget_id)
        if widget is None:
            raise WidgetNotFoundError(WidgetRef(str(path.widget_id)))
        return widget


# --- orders: a nested collection with a tagged union body ----------------------------


class CardPayment(Struct, tag="card", rename="camel"):
    last_four: Annotated[str, Meta(pattern=r"^[0-9]{4}$")]


class InvoicePayment(Struct, tag="invoice", rename="camel"):
    vat_id: Annotated[str, Meta(min_length=4, max_length=20)]


class NewOrder(Struct, rename="camel"):
    quantity: Annotated[int, Meta(ge=1, le=1000)]
    payment: CardPayment | InvoicePayment


class Order(Struct, rename="camel"):
    order_id: int
    shop_id: str
    quantity: int
    payment: CardPayment | InvoicePayment
    state: Literal["placed", "shipped"] = "placed"


class PendingOrder(Struct, rename="camel"):
    order_id: int
    retry_after_seconds: int


class ShopPath(Struct):
    shop_id: Annotated[str, Meta(pattern=r"^[a-z]{2,10}$")]


class OrderPath(Struct):
    shop_id: Annotated[str, Meta(pattern=r"^[a-z]{2,10}$")]
    order_id: Annotated[int, Meta(ge=1)]


class RequestHeaders(Struct):
    x_request_id: str | None = None


class Clerk(Struct):
    name: str


class ClerkTokenAuth(BearerAuth[Clerk]):
    """Orders are taken by clerks, each with a bearer token."""

    def __init__(self, tokens: dict[str, Clerk]) -> None:
        self._tokens = tokens

    async def resolve_token(self, token: str) -> Clerk:
        clerk = self._tokens.get(token)
        if clerk is None:
            raise AuthenticationRequiredError()
        return clerk


class OrderResource(Resource, path="/shops/{shop_id}/orders", meta=ResourceMeta(tags=["orders"])):
    def __init__(self) -> None:
        self._orders: dict[tuple[str, int], Order] = {}

    async def create(
        self, path: ShopPath, json: NewOrder, headers: RequestHeaders, user: Clerk
    ) -> Order:
        order = Order(len(self._orders) + 1, path.shop_id, json.quantity, json.payment)
        self._orders[path.shop_id, order.order_id] = order
        return order

    async def read_one(self, path: OrderPath) -> Order | Accepted[PendingOrder]:
        order = self._orders.get((path.shop_id, path.order_id))
        if order is None:
            return Accepted(PendingOrder(path.order_id, retry_after_seconds=5))
        return order


# --- single-path endpoints -------------------------------------------------------------


class Health(Struct):
    status: Literal["ok", "degraded"]
    checked_at: datetime.datetime


class HealthEndpoint(Endpoint, path="/health", meta=EndpointMeta(tags=["ops"])):
    async def get(self) -> Health:
        return Health("ok", datetime.datetime.now(datetime.UTC))


class LabelPath(Struct):
    widget_id: uuid.UUID


class LabelEndpoint(
    Endpoint,
    path="/widgets/{widget_id}/label",
    meta=EndpointMeta(summary="A widget's printable label", tags=["widgets"]),
):
    def __init__(self) -> None:
        self._labels: dict[uuid.UUID, bytes] = {}

    async def put(self, path: LabelPath, content: bytes) -> NoContent:
        self._labels[path.widget_id] = content
        return NoContent()

    async def get(self, path: LabelPath) -> BytesResponse | str:
        label = self._labels.get(path.widget_id)
        if label is None:
            return "no label yet"
        return BytesResponse(label, media_type="image/png")


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(WidgetResource())
        self._include_resource(OrderResource(), auth=ClerkTokenAuth({"t-ann": Clerk("ann")}))
        self._include_endpoint(HealthEndpoint())
        self._include_endpoint(LabelEndpoint())
        self._include_openapi(
            title="Catalog",
            version="1.0.0",
            description="Widgets, orders and their labels.",
            servers=[{"url": "/", "description": "this server"}],
        )


app = App()
