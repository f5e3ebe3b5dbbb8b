"""Route metadata, docstrings, serving the document, and the docs page."""

from __future__ import annotations

import pytest
from msgspec import Struct

from jero import (
    BaseApp,
    Endpoint,
    EndpointMeta,
    NoContent,
    OperationMeta,
    Resource,
    ResourceMeta,
    Scalar,
    SwaggerUI,
    WiringError,
)
from jero.testing import TestClient
from tests.openapi_helpers import DocumentedApp, document_of, operation, wire_document


class Widget(Struct):
    widget_id: str


class WidgetPath(Struct):
    widget_id: str


class Location(Struct):
    location: str


class WidgetResource(
    Resource,
    path="/widgets",
    meta=ResourceMeta(tags=["widgets", "catalog"], errors=[]),
    meta_read_many=OperationMeta(
        tags=["listing", "widgets"], summary="List widgets", description="All of them."
    ),
    meta_read_one=OperationMeta(operation_id="getWidget", deprecated=True),
    meta_delete=OperationMeta(hidden=True),
):
    async def read_many(self) -> list[Widget]:
        """Internal: reads the replica. Not for publication."""
        return []

    async def read_one(self, path: WidgetPath) -> Widget:
        """Fetch one widget.

        Reads the primary, so the result is fresh.
        """
        return Widget(path.widget_id)

    async def delete(self, path: WidgetPath) -> NoContent:
        return NoContent()


class MovedEndpoint(
    Endpoint,
    path="/old-home",
    meta=EndpointMeta(summary="The old home page", description="Kept for old links."),
    meta_get=OperationMeta(responses={301: NoContent[Location]}),
):
    async def get(self) -> str:
        return "still here"


class RetiredEndpoint(Endpoint, path="/retired", meta=EndpointMeta(deprecated=True, tags=["old"])):
    async def get(self) -> str:
        return ""

    async def post(self) -> str:
        return ""


class HiddenEndpoint(Endpoint, path="/internal", meta=EndpointMeta(hidden=True)):
    async def get(self) -> str:
        return "secret"


@pytest.fixture(scope="module")
def document() -> dict:
    return document_of(WidgetResource(), MovedEndpoint(), RetiredEndpoint(), HiddenEndpoint())


def test_tags_merge_class_then_operation(document: dict) -> None:
    assert operation(document, "get", "/widgets")["tags"] == ["widgets", "catalog", "listing"]
    assert operation(document, "get", "/widgets/{widget_id}")["tags"] == ["widgets", "catalog"]
    assert document["tags"] == [
        {"name": "widgets"},
        {"name": "catalog"},
        {"name": "listing"},
        {"name": "old"},
    ]


def test_summary_description_operation_id_deprecated(document: dict) -> None:
    many = operation(document, "get", "/widgets")
    assert many["summary"] == "List widgets"
    assert many["description"] == "All of them."
    assert many["operationId"] == "WidgetResource.read_many"
    one = operation(document, "get", "/widgets/{widget_id}")
    assert one["operationId"] == "getWidget"
    assert one["deprecated"] is True
    assert operation(document, "get", "/retired")["deprecated"] is True
    assert operation(document, "post", "/retired")["deprecated"] is True


def test_docstrings_are_not_published_unless_asked(document: dict) -> None:
    one = operation(document, "get", "/widgets/{widget_id}")
    assert "summary" not in one
    assert "description" not in one
    published = document_of(WidgetResource(), docstrings=True)
    one = operation(published, "get", "/widgets/{widget_id}")
    assert one["summary"] == "Fetch one widget."
    assert one["description"] == "Reads the primary, so the result is fresh."
    # Metadata wins over the docstring.
    assert operation(published, "get", "/widgets")["summary"] == "List widgets"


def test_hidden_operations_and_routes_are_left_out_but_served(document: dict) -> None:
    assert "delete" not in document["paths"]["/widgets/{widget_id}"]
    assert "/internal" not in document["paths"]
    with TestClient(DocumentedApp([HiddenEndpoint()])) as client:
        assert client.get("/internal").text == "secret"


def test_endpoint_meta_describes_the_path(document: dict) -> None:
    item = document["paths"]["/old-home"]
    assert item["summary"] == "The old home page"
    assert item["description"] == "Kept for old links."


def test_extra_responses_are_compiled_like_return_types(document: dict) -> None:
    moved = operation(document, "get", "/old-home")["responses"]["301"]
    assert moved == {
        "description": "Moved Permanently",
        "headers": {"location": {"schema": {"type": "string"}, "required": True}},
    }


def test_meta_is_inherited_and_refined() -> None:
    class Base(Endpoint, meta=EndpointMeta(tags=["base"]), meta_get=OperationMeta(summary="A")):
        async def get(self) -> str:
            return ""

    class Child(Base, path="/child", meta_post=OperationMeta(summary="B")):
        async def post(self) -> str:
            return ""

    document = document_of(Child())
    assert operation(document, "get", "/child")["summary"] == "A"
    assert operation(document, "post", "/child")["summary"] == "B"
    assert operation(document, "post", "/child")["tags"] == ["base"]
    assert Base.operation_meta.keys() == {"get"}


# --- class option checks ---------------------------------------------------------------


def test_resource_meta_on_an_endpoint_is_refused() -> None:
    with pytest.raises(WiringError, match=r"Wrong: meta= takes a EndpointMeta, got ResourceMeta"):

        class Wrong(Endpoint, path="/wrong", meta=ResourceMeta()):  # type: ignore[arg-type]
            pass


def test_meta_for_an_unknown_operation_is_refused() -> None:
    with pytest.raises(WiringError, match=r"meta_get= names no operation; .*read_one"):

        class Wrong(Resource, path="/wrong", meta_get=OperationMeta()):
            pass


def test_operation_meta_must_be_operation_meta() -> None:
    with pytest.raises(WiringError, match=r"meta_get= takes an OperationMeta, got EndpointMeta"):

        class Wrong(Endpoint, path="/wrong", meta_get=EndpointMeta()):  # type: ignore[arg-type]
            pass


def test_duplicate_operation_ids_fail_the_boot() -> None:
    class One(Endpoint, path="/one", meta_get=OperationMeta(operation_id="same")):
        async def get(self) -> str:
            return ""

    class Two(Endpoint, path="/two", meta_get=OperationMeta(operation_id="same")):
        async def get(self) -> str:
            return ""

    with pytest.raises(WiringError, match=r"Two\.get: operationId 'same' is already used by"):
        wire_document(One(), Two())


# --- serving -------------------------------------------------------------------------


class Ping(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


def test_the_document_is_served_as_prebuilt_bytes() -> None:
    app = DocumentedApp(
        [Ping()],
        description="About",
        servers=["https://api.example.test", {"url": "/", "description": "here"}],
    )
    with TestClient(app) as client:
        first = client.get("/openapi.json")
        second = client.get("/openapi.json")
        head = client.head("/openapi.json")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.content == second.content
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    document = first.json()
    assert document["info"] == {"title": "Test", "version": "1", "description": "About"}
    assert document["servers"] == [
        {"url": "https://api.example.test"},
        {"url": "/", "description": "here"},
    ]


def test_swagger_ui_page_from_the_cdn_by_default() -> None:
    with TestClient(DocumentedApp([Ping()], title="Shop <API>")) as client:
        page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.text
    assert "<title>Shop &lt;API&gt;</title>" in html
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" in html
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css" in html
    assert '"url": "openapi.json"' in html


def test_asset_urls_and_options_are_settable() -> None:
    docs = SwaggerUI(
        js_url="/static/sw.js",
        css_url="/static/sw.css",
        config={"deepLinking": False, "note": "</script><script>alert(1)</script>"},
    )
    with TestClient(DocumentedApp([Ping()], docs=docs, docs_path="/api/v1/docs")) as client:
        html = client.get("/api/v1/docs").text
    assert '<script src="/static/sw.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/sw.css">' in html
    assert '"deepLinking": false' in html
    # The page sits two levels down: the document is found relative to it.
    assert '"url": "../../openapi.json"' in html
    assert "</script><script>alert(1)" not in html


def test_scalar_page() -> None:
    with TestClient(DocumentedApp([Ping()], docs=Scalar())) as client:
        html = client.get("/docs").text
    assert '<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>' in html
    assert 'Scalar.createApiReference(\'#app\', {"url": "openapi.json"})' in html
    offline = Scalar(js_url="/assets/scalar.js", config={"theme": "purple"})
    with TestClient(DocumentedApp([Ping()], docs=offline)) as client:
        html = client.get("/docs").text
    assert '<script src="/assets/scalar.js"></script>' in html
    assert '"theme": "purple"' in html


def test_the_page_finds_the_document_under_a_root_path() -> None:
    with TestClient(DocumentedApp([Ping()], path="/spec/openapi.json"), root_path="/api") as client:
        # The client prefixes the root path: these requests are for /api/docs and so on.
        html = client.get("/docs").text
        assert client.get("/spec/openapi.json").status_code == 200
    assert '"url": "spec/openapi.json"' in html


def test_no_docs_page() -> None:
    with TestClient(DocumentedApp([Ping()], docs_path=None)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200


def test_a_path_clash_with_a_route_fails_the_boot() -> None:
    class Docs(Endpoint, path="/docs"):
        async def get(self) -> str:
            return ""

    with pytest.raises(WiringError, match="clashes"):
        wire_document(Docs())


class Twice(BaseApp):
    async def _wire(self) -> None:
        self._include_openapi(title="a", version="1")
        self._include_openapi(title="b", version="1", path="/b.json", docs_path=None)


def test_include_openapi_once() -> None:
    with (
        pytest.raises(WiringError, match="_include_openapi was already called"),
        TestClient(Twice()),
    ):
        pass


def test_include_openapi_only_inside_wire() -> None:
    with pytest.raises(WiringError, match="inside _wire"):
        BaseApp()._include_openapi(title="a", version="1")


def test_routes_included_after_include_openapi_are_documented() -> None:
    class Late(BaseApp):
        async def _wire(self) -> None:
            self._include_openapi(title="late", version="1")
            self._include_endpoint(Ping())

    with TestClient(Late()) as client:
        assert "/ping" in client.get("/openapi.json").json()["paths"]


def test_restarting_the_app_builds_the_document_again() -> None:
    app = DocumentedApp([Ping()])
    with TestClient(app) as client:
        first = client.get("/openapi.json").content
    with TestClient(app) as client:
        assert client.get("/openapi.json").content == first
