"""A small catalog API with its OpenAPI document and docs page.

Serve it with `uv run granian --interface asgi examples.catalog:app`, then open
http://127.0.0.1:8000/docs (Swagger UI) or fetch /openapi.json.

Widgets, orders and labels live in memory, per process: under `--workers 2` a widget
created through one worker is a 404 on the other, and a restart empties them all. Serve
it with one worker, or keep the state in a database as examples/bookshelf/ does.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import AsyncIterator
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
    DocsPage,
    Endpoint,
    EndpointMeta,
    FilePart,
    JSONResponse,
    NDJSONStreamingResponse,
    NoContent,
    NotFoundError,
    OperationMeta,
    Resource,
    ResourceMeta,
    ServerSentEvent,
    SSEResponse,
    SwaggerUI,
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


class Added(Struct, tag="added", rename="camel"):
    widget_id: uuid.UUID
    name: str


class Removed(Struct, tag="removed", rename="camel"):
    widget_id: uuid.UUID


class Catalog:
    """The widgets and the log of changes to them, shared by the routes below."""

    def __init__(self) -> None:
        self.widgets: dict[uuid.UUID, Widget] = {}
        self.changes: list[Added | Removed] = []

    def add(self, new: NewWidget) -> Widget:
        if any(w.name == new.name for w in self.widgets.values()):
            raise DuplicateNameError()
        widget = Widget(
            widget_id=uuid.uuid4(),
            name=new.name,
            price=new.price,
            color=new.color,
            created_at=datetime.datetime.now(datetime.UTC),
            tags=new.tags,
        )
        self.widgets[widget.widget_id] = widget
        self.changes.append(Added(widget.widget_id, widget.name))
        return widget

    def get(self, widget_id: uuid.UUID) -> Widget:
        widget = self.widgets.get(widget_id)
        if widget is None:
            raise WidgetNotFoundError(WidgetRef(str(widget_id)))
        return widget


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
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def create(self, json: NewWidget) -> Created[Widget, LocationHeaders]:
        widget = self._catalog.add(json)
        return Created(widget, headers=LocationHeaders(f"/widgets/{widget.widget_id}"))

    async def read_many(self, params: WidgetQuery) -> JSONResponse[list[Widget], PageHeaders]:
        found = [
            w
            for w in self._catalog.widgets.values()
            if (params.color is None or w.color == params.color)
            and (params.name_prefix is None or w.name.startswith(params.name_prefix))
        ]
        return JSONResponse(found[: params.limit], headers=PageHeaders(len(found)))

    async def read_one(self, path: WidgetPath) -> Widget:
        return self._catalog.get(path.widget_id)

    async def update_partial(self, path: WidgetPath, json: WidgetPatch) -> Widget:
        widget = self._catalog.get(path.widget_id)
        if json.name is not None:
            widget.name = json.name
        if json.price is not None:
            widget.price = json.price
        return widget

    async def delete(self, path: WidgetPath) -> NoContent:
        self._catalog.get(path.widget_id)
        del self._catalog.widgets[path.widget_id]
        self._catalog.changes.append(Removed(path.widget_id))
        return NoContent()


class ExportEndpoint(
    Endpoint, path="/exports/widgets", meta=EndpointMeta(tags=["widgets"], summary="Every widget")
):
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def get(self) -> NDJSONStreamingResponse[Widget]:
        return NDJSONStreamingResponse(self._rows(list(self._catalog.widgets.values())))

    async def _rows(self, widgets: list[Widget]) -> AsyncIterator[Widget]:
        for widget in widgets:
            yield widget


class ChangesQuery(Struct, rename="camel"):
    after: Annotated[int, Meta(ge=0, description="Skip the changes before this one")] = 0


class ChangesEndpoint(
    Endpoint, path="/changes", meta=EndpointMeta(tags=["widgets"], summary="What changed")
):
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def get(self, params: ChangesQuery) -> SSEResponse[Added | Removed]:
        return SSEResponse(self._events(params.after))

    async def _events(self, after: int) -> AsyncIterator[ServerSentEvent[Added | Removed]]:
        for number, change in enumerate(self._catalog.changes[after:], start=after):
            yield ServerSentEvent(change, id=str(number))


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
    meta=EndpointMeta(
        summary="A widget's printable label", tags=["widgets"], errors=[WidgetNotFoundError]
    ),
):
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._labels: dict[uuid.UUID, bytes] = {}

    async def put(self, path: LabelPath, content: bytes) -> NoContent:
        self._catalog.get(path.widget_id)
        self._labels[path.widget_id] = content
        return NoContent()

    async def get(self, path: LabelPath) -> BytesResponse | str:
        self._catalog.get(path.widget_id)
        label = self._labels.get(path.widget_id)
        if label is None:
            return "no label yet"
        return BytesResponse(label, media_type="image/png")


class PhotoUpload(Struct):
    caption: Annotated[str, Meta(max_length=200)]
    photo: FilePart
    tags: list[str] = []


class Photo(Struct, rename="camel"):
    widget_id: uuid.UUID
    caption: str
    filename: str | None
    content_type: str | None
    size: int
    tags: list[str]


class PhotoEndpoint(
    Endpoint,
    path="/widgets/{widget_id}/photos",
    meta=EndpointMeta(tags=["widgets"], errors=[WidgetNotFoundError]),
    meta_post=OperationMeta(summary="Upload a photo of a widget"),
):
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def post(self, path: LabelPath, form: PhotoUpload) -> Created[Photo]:
        self._catalog.get(path.widget_id)
        photo = form.photo
        return Created(
            Photo(
                path.widget_id,
                form.caption,
                photo.filename,
                photo.content_type,
                photo.size,
                form.tags,
            )
        )


class DisplayCookies(Struct):
    currency: Literal["EUR", "USD"] = "EUR"
    compact: bool = False


class Display(Struct):
    currency: str
    compact: bool


class DisplayEndpoint(Endpoint, path="/display", meta=EndpointMeta(tags=["ops"])):
    async def get(self, cookies: DisplayCookies) -> Display:
        return Display(cookies.currency, cookies.compact)


class App(BaseApp):
    """`docs=` chooses the docs page, e.g. Swagger UI with self-hosted assets offline."""

    def __init__(self, docs: DocsPage | None = None) -> None:
        super().__init__()
        self._docs = docs if docs is not None else SwaggerUI()

    async def _wire(self) -> None:
        catalog = Catalog()
        catalog.add(NewWidget("Sprocket", 250, Color.GREEN, ["metal"]))
        catalog.add(NewWidget("Gizmo", 1999))
        self._include_resource(WidgetResource(catalog))
        self._include_endpoint(ExportEndpoint(catalog))
        self._include_endpoint(ChangesEndpoint(catalog))
        self._include_resource(OrderResource(), auth=ClerkTokenAuth({"t-ann": Clerk("ann")}))
        self._include_endpoint(HealthEndpoint())
        self._include_endpoint(LabelEndpoint(catalog))
        self._include_endpoint(PhotoEndpoint(catalog))
        self._include_endpoint(DisplayEndpoint())
        self._include_openapi(
            title="Catalog",
            version="1.0.0",
            description="Widgets, orders and their labels.",
            servers=[{"url": "/", "description": "this server"}],
            docs=self._docs,
        )


app = App()
