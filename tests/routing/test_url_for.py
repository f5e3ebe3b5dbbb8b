"""URL reversal: `self._url_for(Route.op, PathType)` checked at wiring, filled at request
time with percent-encoded slot values, usable in Location and Link headers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import msgspec
import pytest

from jero import BaseApp, Created, Endpoint, Link, Resource, URLFor, WiringError
from jero.testing import TestClient


class ShopPath(msgspec.Struct):
    shop_id: str


class WidgetPath(msgspec.Struct):
    shop_id: str
    widget_id: int


class OtherPath(msgspec.Struct):
    shop_id: str
    widget_id: int


class Widget(msgspec.Struct):
    name: str


class WidgetHeaders(msgspec.Struct):
    location: str
    link: str


class Links(msgspec.Struct):
    one: URLFor[WidgetPath]
    many: URLFor[ShopPath]
    health: URLFor[None]


class WidgetResource(Resource, path="/shops/{shop_id}/widgets"):
    links: Links | None = None

    async def create(self, path: ShopPath, json: Widget) -> Created[Widget, WidgetHeaders]:
        assert self.links is not None
        where = self.links.one(WidgetPath(shop_id=path.shop_id, widget_id=7))
        related = Link.join(
            Link(self.links.many(path), rel="collection"),
            Link(self.links.health(), rel="service-meta", title="health"),
        )
        return Created(json, headers=WidgetHeaders(location=where, link=related))

    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(name=f"{path.shop_id}:{path.widget_id}")


class HealthEndpoint(Endpoint, path="/health"):
    async def get(self) -> str:
        return "ok"


class App(BaseApp):
    async def _wire(self) -> None:
        widgets = WidgetResource()
        # Reversal may name a route before it is included: it resolves when _wire returns.
        widgets.links = Links(
            one=self._url_for(WidgetResource.read_one, WidgetPath),
            many=self._url_for(widgets.create, ShopPath),
            health=self._url_for(HealthEndpoint.get),
        )
        self._include_resource(widgets)
        self._include_endpoint(HealthEndpoint())
        self.links = widgets.links


def test_location_and_link_headers_round_trip() -> None:
    app = App()
    with TestClient(app) as client:
        response = client.post("/shops/main st/widgets", json={"name": "bolt"})
        assert response.status_code == 201
        assert response.headers["location"] == "/shops/main%20st/widgets/7"
        assert response.headers["link"] == (
            '</shops/main%20st/widgets>; rel="collection", '
            '</health>; rel="service-meta"; title="health"'
        )
        followed = client.get(response.headers["location"])
        assert followed.json() == {"name": "main st:7"}


@pytest.mark.parametrize(
    "shop_id",
    ["a b", "ü/ö".replace("/", ""), "100%", "?x=1#y", "a;b,c", "+&=", "..a", "~_-."],
)
def test_slot_values_are_percent_encoded_and_route_back(shop_id: str) -> None:
    app = App()
    with TestClient(app) as client:
        url = app.links.one(WidgetPath(shop_id=shop_id, widget_id=3))
        assert url.startswith("/shops/") and url.endswith("/widgets/3")
        assert "?" not in url and "#" not in url and " " not in url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json() == {"name": f"{shop_id}:3"}


def test_template_and_root_path() -> None:
    app = App()
    with TestClient(app, root_path="/api") as client:
        assert app.links.one.template == "/shops/{shop_id}/widgets/{widget_id}"
        url = app.links.one(WidgetPath(shop_id="s", widget_id=1), root_path="/api")
        assert url == "/api/shops/s/widgets/1"
        assert client.get(url.removeprefix("/api")).status_code == 200
        assert app.links.health(root_path="/api") == "/api/health"


@pytest.mark.parametrize("value", ["", ".", "..", "a/b"])
def test_values_that_cannot_route_back_are_refused(value: str) -> None:
    app = App()
    with TestClient(app), pytest.raises(ValueError, match="would not route back"):
        app.links.one(WidgetPath(shop_id=value, widget_id=1))


class IdPath(msgspec.Struct):
    item_id: uuid.UUID


def test_other_scalar_slots() -> None:
    class Items(Resource, path="/items"):
        async def read_one(self, path: IdPath) -> str:
            return str(path.item_id)

    class ItemsApp(BaseApp):
        async def _wire(self) -> None:
            self.url = self._url_for(Items.read_one, IdPath)
            self._include_resource(Items())

    app = ItemsApp()
    key = uuid.UUID(int=5)
    with TestClient(app) as client:
        assert app.url(IdPath(item_id=key)) == f"/items/{key}"
        assert client.get(app.url(IdPath(item_id=key))).text == str(key)


def startup_error(wire: object) -> str:
    class Broken(BaseApp):
        async def _wire(self) -> None:
            wire(self)  # type: ignore[operator]

    with pytest.raises(WiringError) as caught, TestClient(Broken()):
        pass
    return str(caught.value)


def test_unknown_route_fails_the_startup() -> None:
    message = startup_error(lambda app: app._url_for(WidgetResource.read_one, WidgetPath))
    assert "Broken._url_for(WidgetResource.read_one)" in message
    assert "is not a route this app serves; include its Resource/Endpoint" in message


def test_wrong_path_type_fails_the_startup() -> None:
    def wire(app: BaseApp) -> None:
        app._include_resource(WidgetResource())
        app._url_for(WidgetResource.read_one, OtherPath)

    message = startup_error(wire)
    assert "WidgetResource.read_one is not reached with OtherPath; pass WidgetPath" in message

    def slotless(app: BaseApp) -> None:
        app._include_endpoint(HealthEndpoint())
        app._url_for(HealthEndpoint.get, ShopPath)

    assert "leave the path type out" in startup_error(slotless)

    def missing(app: BaseApp) -> None:
        app._include_resource(WidgetResource())
        app._url_for(WidgetResource.read_one)

    assert "pass WidgetPath, its `path` type" in startup_error(missing)


def test_ambiguous_function_needs_the_bound_method() -> None:
    class Mirror(WidgetResource, path="/mirror/{shop_id}/widgets"):
        pass

    def wire(app: BaseApp) -> None:
        app._include_resource(WidgetResource())
        app._include_resource(Mirror())
        app._url_for(WidgetResource.read_one, WidgetPath)

    assert "pass the bound method" in startup_error(wire)

    class Both(BaseApp):
        async def _wire(self) -> None:
            mirror = Mirror()
            self._include_resource(WidgetResource())
            self._include_resource(mirror)
            self.url = self._url_for(mirror.read_one, WidgetPath)

    app = Both()
    with TestClient(app):
        assert app.url(WidgetPath(shop_id="s", widget_id=2)) == "/mirror/s/widgets/2"


def test_building_before_wiring_completed_is_an_error() -> None:
    seen: list[str] = []

    class Early(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(HealthEndpoint())
            url = self._url_for(HealthEndpoint.get)
            try:
                url()
            except RuntimeError as error:
                seen.append(str(error))

    with TestClient(Early()):
        pass
    assert seen == ["Early._url_for(HealthEndpoint.get) builds URLs once wiring has completed"]


def test_url_for_outside_wire_is_a_wiring_error() -> None:
    with pytest.raises(WiringError, match="_url_for belongs inside _wire"):
        App()._url_for(HealthEndpoint.get)


def test_link_refuses_values_that_would_break_the_header() -> None:
    assert str(Link("/a?b=1", rel="next")) == '</a?b=1>; rel="next"'
    with pytest.raises(ValueError, match="cannot hold"):
        Link("/a>", rel="next")
    with pytest.raises(ValueError, match="cannot hold"):
        Link("/a", rel='x"y')


def test_pyright_checks_the_path_type(tmp_path: Path) -> None:
    """The builder is generic in the path Struct: a wrong argument is a type error."""
    source = textwrap.dedent(
        """
        import msgspec
        from jero import BaseApp, Resource, URLFor

        class WidgetPath(msgspec.Struct):
            widget_id: str

        class OtherPath(msgspec.Struct):
            other_id: str

        class Widgets(Resource, path="/widgets"):
            async def read_one(self, path: WidgetPath) -> str:
                return path.widget_id

        class App(BaseApp):
            async def _wire(self) -> None:
                url: URLFor[WidgetPath] = self._url_for(Widgets.read_one, WidgetPath)
                url(WidgetPath(widget_id="x"))
                url(OtherPath(other_id="x"))
                wrong: URLFor[OtherPath] = self._url_for(Widgets.read_one, WidgetPath)
                print(wrong)
                fixed = self._url_for(Widgets.read_one)
                fixed()
        """
    )
    (tmp_path / "check.py").write_text(source)
    pyright = Path(sys.executable).parent / "pyright"
    result = subprocess.run(
        [str(pyright), "--outputjson", str(tmp_path / "check.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = msgspec.json.decode(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    lines = sorted(d["range"]["start"]["line"] for d in errors)
    text = source.splitlines()
    expected = [i for i, line in enumerate(text) if "url(OtherPath(" in line or "wrong:" in line]
    assert lines == expected, result.stdout
    assert all(d["rule"] in ("reportArgumentType", "reportAssignmentType") for d in errors)
