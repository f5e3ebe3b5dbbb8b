"""Route rules checked at wiring: each bad declaration fails the boot.

Every test boots an app under `TestClient` (which re-raises the app's startup error)
and checks that the `WiringError` names the class, the method, the parameter (where
there is one) and the fix.
"""

from typing import Any

import anyio
import msgspec
import pytest

from jero import BaseApp, Endpoint, NoContent, Resource
from jero.testing import TestClient
from tests.routes_app import app_of, wiring_error_of


class Widget(msgspec.Struct):
    id: str


class WidgetPath(msgspec.Struct):
    widget_id: str


class ShopPath(msgspec.Struct):
    shop_id: str


class ShopWidgetPath(msgspec.Struct):
    shop_id: str
    widget_id: str


class Query(msgspec.Struct):
    limit: int = 10


def boot_fails(*routes: Resource | Endpoint, match: str) -> str:
    """Boot an app with `routes`; return the WiringError message (which must match)."""
    return wiring_error_of(app_of(*routes), match)


def assert_names(message: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# --- handlers -----------------------------------------------------------------------


def test_sync_handler_says_how_to_run_blocking_work() -> None:
    class SyncEndpoint(Endpoint, path="/sync"):
        def get(self) -> Widget:  # not async
            return Widget(id="x")

    message = boot_fails(SyncEndpoint(), match="must be `async def`")
    assert_names(message, "SyncEndpoint.get", "anyio.to_thread.run_sync")


def test_slot_missing_from_path_struct() -> None:
    class ShopEndpoint(Endpoint, path="/shops/{shop_id}"):
        async def get(self, path: WidgetPath) -> Widget:
            return Widget(id=path.widget_id)

    message = boot_fails(ShopEndpoint(), match=r"lacks a field for the slot \{shop_id\}")
    assert_names(message, "ShopEndpoint.get", "`path`", "WidgetPath", "add `shop_id: str`")


def test_path_field_with_a_default() -> None:
    class DefaultedPath(msgspec.Struct):
        shop_id: str = "main"

    class ShopEndpoint(Endpoint, path="/shops/{shop_id}"):
        async def get(self, path: DefaultedPath) -> Widget:
            return Widget(id=path.shop_id)

    message = boot_fails(ShopEndpoint(), match="has a default")
    assert_names(message, "ShopEndpoint.get", "`path`", "`shop_id`", "remove the default")


def test_slots_without_a_path_parameter() -> None:
    class ShopEndpoint(Endpoint, path="/shops/{shop_id}"):
        async def get(self) -> Widget:
            return Widget(id="x")

    message = boot_fails(ShopEndpoint(), match="has slots")
    assert_names(message, "ShopEndpoint.get", "/shops/{shop_id}", "declare a `path` parameter")


def test_unknown_parameter_name() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def post(self, body: Widget) -> Widget:
            return body

    message = boot_fails(WidgetEndpoint(), match="unknown parameter `body`")
    assert_names(message, "WidgetEndpoint.post", "json", "params", "headers")


def test_parameter_without_annotation() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def get(self, params) -> Widget:  # type: ignore[no-untyped-def]
            return Widget(id="x")

    message = boot_fails(WidgetEndpoint(), match="has no annotation")
    assert_names(message, "WidgetEndpoint.get", "`params`", "annotate it")


def _get_with_json() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self, json: Widget) -> Widget:
            return json

    return Get()


def _get_with_content() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self, content: bytes) -> Widget:
            return Widget(id="x")

    return Get()


def _delete_with_json() -> Resource:
    class Delete(Resource, path="/a"):
        async def delete(self, path: WidgetPath, json: Widget) -> Widget:
            return json

    return Delete()


@pytest.mark.parametrize(
    ("route", "where", "parameter", "method"),
    [
        (_get_with_json, "Get.get", "json", "GET"),
        (_get_with_content, "Get.get", "content", "GET"),
        (_delete_with_json, "Delete.delete", "json", "DELETE"),
    ],
)
def test_body_parameter_on_a_bodyless_method(
    route: Any, where: str, parameter: str, method: str
) -> None:
    message = boot_fails(route(), match=f"{method} does not carry")
    assert_names(message, where, f"`{parameter}`", "move it to a POST/PUT/PATCH handler")


def test_more_than_one_body_source() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def post(self, json: Widget, content: bytes) -> Widget:
            return json

    message = boot_fails(WidgetEndpoint(), match="all read the request body")
    assert_names(message, "WidgetEndpoint.post", "`json`", "`content`", "keep one")


def _json_dict() -> Endpoint:
    class Post(Endpoint, path="/a"):
        async def post(self, json: dict[str, Any]) -> Widget:
            return Widget(id="x")

    return Post()


def _params_int() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self, params: int) -> Widget:
            return Widget(id="x")

    return Get()


def _headers_str() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self, headers: str) -> Widget:
            return Widget(id="x")

    return Get()


def _path_str() -> Endpoint:
    class Get(Endpoint, path="/a/{widget_id}"):
        async def get(self, path: str) -> Widget:
            return Widget(id=path)

    return Get()


@pytest.mark.parametrize(
    ("route", "where", "parameter"),
    [
        (_json_dict, "Post.post", "json"),
        (_params_int, "Get.get", "params"),
        (_headers_str, "Get.get", "headers"),
        (_path_str, "Get.get", "path"),
    ],
)
def test_non_struct_where_a_struct_is_needed(route: Any, where: str, parameter: str) -> None:
    message = boot_fails(route(), match="must be annotated with a msgspec Struct")
    assert_names(message, where, f"parameter `{parameter}`")


# --- route tables -------------------------------------------------------------------


def test_same_method_and_path_shape_across_two_classes() -> None:
    class ShopEndpoint(Endpoint, path="/shops/{shop_id}"):
        async def get(self, path: ShopPath) -> Widget:
            return Widget(id=path.shop_id)

    class StorePath(msgspec.Struct):
        store_id: str

    class StoreEndpoint(Endpoint, path="/shops/{store_id}"):
        async def get(self, path: StorePath) -> Widget:
            return Widget(id=path.store_id)

    message = boot_fails(ShopEndpoint(), StoreEndpoint(), match="clashes with")
    assert_names(
        message, "StoreEndpoint.get", "ShopEndpoint.get", "GET", "give one of them a different path"
    )


def test_public_non_operation_method_on_a_resource() -> None:
    class WidgetResource(Resource, path="/widgets"):
        async def read_many(self) -> list[Widget]:
            return []

        def helper(self) -> None: ...

    message = boot_fails(WidgetResource(), match="is not an operation of a Resource")
    assert_names(message, "WidgetResource.helper", "read_many", "_helper")


def test_public_non_operation_method_on_an_endpoint() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def get(self) -> Widget:
            return Widget(id="x")

        async def fetch(self) -> Widget:
            return Widget(id="y")

    message = boot_fails(WidgetEndpoint(), match="is not an operation of an Endpoint")
    assert_names(message, "WidgetEndpoint.fetch", "get, post", "_fetch")


def test_private_helper_is_allowed() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def get(self) -> Widget:
            return Widget(id=self._helper())

        def _helper(self) -> str:
            return "from-helper"

    with TestClient(app_of(WidgetEndpoint())) as client:
        response = client.get("/widgets")
    assert response.json() == {"id": "from-helper"}


# --- return annotations -------------------------------------------------------------


def _returns_dict() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self) -> dict[str, Any]:
            return {}

    return Get()


def _returns_any() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self) -> Any:
            return {}

    return Get()


def _returns_nothing_declared() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self):  # type: ignore[no-untyped-def]
            return {}

    return Get()


def _returns_none() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self) -> None:
            return None

    return Get()


def _returns_optional() -> Endpoint:
    class Get(Endpoint, path="/a"):
        async def get(self) -> Widget | None:
            return None

    return Get()


@pytest.mark.parametrize(
    ("route", "match", "fix"),
    [
        (_returns_dict, "is not a supported response", "return a msgspec Struct"),
        (_returns_any, "is not a supported response", "return a msgspec Struct"),
        (_returns_nothing_declared, "has no return annotation", "NoContent"),
        (_returns_none, "may be None", "NoContent"),
        (_returns_optional, "may be None", "NoContent"),
    ],
)
def test_unsupported_return_annotation(route: Any, match: str, fix: str) -> None:
    message = boot_fails(route(), match=match)
    assert_names(message, "Get.get", fix)


def test_widget_or_no_content_is_allowed() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def get(self) -> Widget | NoContent:
            return NoContent()

    with TestClient(app_of(WidgetEndpoint())) as client:
        assert client.get("/widgets").status_code == 204


# --- Resource item ids --------------------------------------------------------------


def test_resource_item_operation_without_item_id() -> None:
    class ShopWidgets(Resource, path="/shops/{shop_id}/widgets"):
        async def read_one(self, path: ShopPath) -> Widget:
            return Widget(id=path.shop_id)

    message = boot_fails(ShopWidgets(), match="serves one item")
    assert_names(message, "ShopWidgets.read_one", "`path`", "a field beyond the mount's slots")


@pytest.mark.parametrize("operation", ["read_many", "create"])
def test_collection_operation_with_extra_path_fields(operation: str) -> None:
    class ShopWidgets(Resource, path="/shops/{shop_id}/widgets"):
        async def read_many(self, path: ShopWidgetPath) -> list[Widget]:
            return []

        async def create(self, path: ShopWidgetPath, json: Widget) -> Widget:
            return json

    if operation == "create":
        del ShopWidgets.read_many
    message = boot_fails(ShopWidgets(), match="serves the mount path exactly")
    assert_names(
        message, f"ShopWidgets.{operation}", "`widget_id`", "`path`", "remove it", "read_one"
    )


# --- path templates -----------------------------------------------------------------


def test_no_path_declared() -> None:
    class Pathless(Resource):
        async def read_many(self) -> list[Widget]:
            return []

    message = boot_fails(Pathless(), match="has no path")
    assert_names(message, "Pathless", 'class Pathless(Resource, path="/...")')


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("widgets", "must start with '/'"),
        ("/widgets/", "must not end with '/'"),
        ("/widgets/{Widget-Id}", "bad slot"),
        ("/widgets/{widget_id", "bad slot"),
        ("/widgets/id-{widget_id}", "bad slot"),
        ("/widgets/{widget_id}/{widget_id}", r"repeats the slot \{widget_id\}"),
        ("/widgets//parts", "empty or invalid segment"),
    ],
)
def test_bad_path_template(path: str, match: str) -> None:
    class BadPath(Endpoint, path=path):
        async def get(self) -> Widget:
            return Widget(id="x")

    message = boot_fails(BadPath(), match=match)
    assert_names(message, "BadPath", repr(path))


# --- annotation resolution ----------------------------------------------------------


def test_future_annotations_and_forward_references_wire() -> None:
    from _future_app import App

    with TestClient(App()) as client:
        read = client.get("/shops/s1/gadgets/g1", params={"limit": "3"})
        created = client.post("/shops/s1/gadgets", json={"name": "new"})
    assert read.json() == {"shop_id": "s1", "gadget_id": "g1", "limit": 3}
    assert created.status_code == 201
    assert created.json() == {"shop_id": "s1", "gadget_id": "new", "limit": 0}


def test_string_forward_reference_without_future_import() -> None:
    class LaterEndpoint(Endpoint, path="/later"):
        async def get(self) -> "Widget":
            return Widget(id="later")

    with TestClient(app_of(LaterEndpoint())) as client:
        assert client.get("/later").json() == {"id": "later"}


def test_unresolvable_annotation() -> None:
    class WidgetEndpoint(Endpoint, path="/widgets"):
        async def get(self, params: "NoSuchStruct") -> Widget:  # type: ignore[name-defined]  # noqa: F821
            return Widget(id="x")

    message = boot_fails(WidgetEndpoint(), match="cannot resolve")
    assert_names(message, "WidgetEndpoint.get", "`params`", "NoSuchStruct", "import them")


# --- startup failure ----------------------------------------------------------------


def test_wiring_error_unwinds_and_reports_startup_failed() -> None:
    events: list[str] = []

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            events.append(f"enter {self.name}")

        def __exit__(self, *exc: object) -> None:
            events.append(f"exit {self.name}")

        async def __aenter__(self) -> None:
            self.__enter__()

        async def __aexit__(self, *exc: object) -> None:
            self.__exit__()

    class SyncEndpoint(Endpoint, path="/sync"):
        def get(self) -> Widget:
            return Widget(id="x")

    class App(BaseApp):
        async def _wire(self) -> None:
            self._enter(Recorder("a"))
            await self._aenter(Recorder("b"))
            self._enter(Recorder("c"))
            self._include_endpoint(SyncEndpoint())
            events.append("unreachable")

    app = App()
    sent: list[dict[str, Any]] = []

    async def drive() -> None:
        inbox = [{"type": "lifespan.startup"}]

        async def receive() -> dict[str, Any]:
            return inbox.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)

    anyio.run(drive)
    assert events == ["enter a", "enter b", "enter c", "exit c", "exit b", "exit a"]
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"].startswith("WiringError: ")
    assert_names(sent[0]["message"], "SyncEndpoint.get", "async def")


type Payload = Widget
"""A PEP 695 alias for a body: read as its value, as WebSocket hooks read theirs."""


class AliasedBody(Endpoint, path="/aliased"):
    async def post(self, *, json: Payload) -> Widget:
        return json


def test_keyword_only_parameters_and_aliased_annotations_bind() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(AliasedBody())

    with TestClient(App()) as client:
        answer = client.post("/aliased", json={"id": "w1"})
        assert answer.status_code == 200
        assert answer.json() == {"id": "w1"}
        refused = client.post("/aliased", json={"id": 1})
        assert refused.status_code == 422
