"""Middleware chains: order, scope (app-wide, per mount, answers without a handler),
wiring checks, errors inside middleware, and plain ASGI middleware from the ecosystem."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from asgi_correlation_id import CorrelationIdMiddleware
from msgspec import Struct

from jero import (
    ASGIApp,
    ASGIMiddleware,
    BaseApp,
    Endpoint,
    Message,
    Middleware,
    NDJSONStreamingResponse,
    Receive,
    Resource,
    RouteInfo,
    Scope,
    Send,
    TooManyRequestsError,
)
from jero.testing import TestClient, iter_ndjson
from tests.routes_app import wiring_error_of


class Widget(Struct):
    id: int
    name: str


class WidgetPath(Struct):
    widget_id: int


class Tick(Struct):
    n: int


class WidgetResource(Resource, path="/widgets"):
    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(path.widget_id, "gear")

    async def create(self, json: Widget) -> Widget:
        return json


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        async def ticks() -> AsyncIterator[Tick]:
            for n in range(3):
                yield Tick(n)

        return NDJSONStreamingResponse(stream=ticks())


class Tag:
    """Appends `x-trail: <name>` to every response; records the routes it wrapped."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[RouteInfo] = []

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        self.routes.append(route)
        mark = (b"x-trail", self.name.encode())

        async def tagged(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_tagged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], mark]}
                await send(message)

            await app(scope, receive, send_tagged)

        return tagged


def trail(response: Any) -> list[str]:
    return response.headers.get_list("x-trail")


def app_with(
    app_wide: Sequence[Middleware] = (),
    widgets: Sequence[Middleware] = (),
    ping: Sequence[Middleware] = (),
) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(WidgetResource(), middleware=widgets)
            self._include_endpoint(PingEndpoint(), middleware=ping)
            self._include_endpoint(TicksEndpoint())
            if app_wide:
                self._include_middleware(*app_wide)

    return App()


def test_app_wide_wraps_outside_mount_middleware_first_listed_outermost() -> None:
    outer, inner, mount = Tag("outer"), Tag("inner"), Tag("mount")
    with TestClient(app_with([outer, inner], widgets=[mount])) as client:
        response = client.get("/widgets/7")
        assert response.status_code == 200
        assert response.json() == {"id": 7, "name": "gear"}
        # Headers are appended on the way out: the innermost layer appends first.
        assert trail(response) == ["mount", "inner", "outer"]
        assert trail(client.get("/ping")) == ["inner", "outer"]
        created = client.post("/widgets", json={"id": 1, "name": "bolt"})
        assert created.status_code == 201
        assert trail(created) == ["mount", "inner", "outer"]


def test_app_wide_middleware_also_wraps_404_405_and_options() -> None:
    tag = Tag("app")
    with TestClient(app_with([tag])) as client:
        missing = client.get("/nowhere")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert trail(missing) == ["app"]
        wrong = client.delete("/ping")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET, HEAD, OPTIONS"
        assert trail(wrong) == ["app"]
        options = client.options("/widgets/3")
        assert options.status_code == 204
        assert trail(options) == ["app"]
    unrouted = [r for r in tag.routes if r.method is None]
    assert {r.path for r in unrouted} == {"/widgets", "/widgets/{widget_id}", "/ping", "/ticks"} | {
        None
    }


def test_mount_middleware_wraps_its_paths_only() -> None:
    mount = Tag("widgets")
    with TestClient(app_with(widgets=[mount])) as client:
        assert trail(client.get("/widgets/1")) == ["widgets"]
        assert trail(client.options("/widgets/1")) == ["widgets"]
        assert trail(client.put("/widgets/1", json={})) == ["widgets"]  # the 405
        assert trail(client.get("/ping")) == []
        assert trail(client.get("/nowhere")) == []


def test_wrap_runs_once_per_route_at_wiring_with_what_the_route_is() -> None:
    tag = Tag("t")
    with TestClient(app_with([tag])) as client:
        for _ in range(3):
            client.get("/widgets/1")
            client.head("/widgets/1")
    by_name = {r.name: r for r in tag.routes if r.name is not None}
    assert set(by_name) == {
        "WidgetResource.read_one",
        "WidgetResource.create",
        "PingEndpoint.get",
        "TicksEndpoint.get",
    }
    one = by_name["WidgetResource.read_one"]
    assert one.method == "GET"
    assert one.path == "/widgets/{widget_id}"
    assert one.allow == {"GET", "HEAD", "OPTIONS"}
    assert one.media_types == {"application/json"}
    assert not one.streams
    assert by_name["TicksEndpoint.get"].streams
    assert by_name["WidgetResource.create"].allow == {"POST", "OPTIONS"}
    # One wrap per handler (HEAD shares GET's chain), one per path shape, one for 404.
    assert len(tag.routes) == 4 + 4 + 1


def test_routes_without_middleware_keep_their_plan_untouched() -> None:
    app = app_with(widgets=[Tag("w")])
    with TestClient(app) as client:
        assert client.get("/ping").text == "pong"
        router = app.jero.router
        assert router is not None
        ping_table, _ = router.lookup("/ping") or (None, ())
        widget_table, _ = router.lookup("/widgets/1") or (None, ())
        assert ping_table is not None
        assert widget_table is not None
        # The unwrapped route is served by the answer step itself; the other enters its chain.
        assert ping_table.serves["GET"].__name__ == "answer_encoded"
        assert widget_table.serves["GET"].__name__ == "enter"


def test_head_and_streams_through_middleware() -> None:
    with TestClient(app_with([Tag("a")])) as client:
        head = client.head("/widgets/2")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(b'{"id":2,"name":"gear"}'))
        with client.stream("GET", "/ticks") as response:
            assert trail(response) == ["a"]
            assert [t.n for t in iter_ndjson(response, Tick)] == [0, 1, 2]


def test_handler_errors_stay_problems_inside_a_chain() -> None:
    with TestClient(app_with([Tag("a")])) as client:
        bad = client.get("/widgets/x")
        assert bad.status_code == 404
        assert trail(bad) == ["a"]
        invalid = client.post("/widgets", json={"id": "no"})
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        assert trail(invalid) == ["a"]


# --- errors and short circuits inside middleware ---------------------------------------


class Raises:
    def __init__(self, error: Exception, after_start: bool = False) -> None:
        self.error = error
        self.after_start = after_start

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            if self.after_start:
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"half", "more_body": True})
            raise self.error

        return run


class Answers:
    """Never calls the next step; `how` says how much of a response it sends."""

    def __init__(self, how: str) -> None:
        self.how = how

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            if self.how == "nothing":
                return
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"6")]
            await send({"type": "http.response.start", "status": 418, "headers": headers})
            if self.how == "whole":
                await send({"type": "http.response.body", "body": b"teapot"})

        return run


def test_http_error_raised_in_middleware_is_its_problem_seen_by_outer_layers() -> None:
    limited = Raises(TooManyRequestsError(headers={"retry-after": "3"}))
    with TestClient(app_with([Tag("outer")], ping=[limited])) as client:
        response = client.get("/ping")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "3"
    assert response.json()["type"] == "too-many-requests"
    assert trail(response) == ["outer"]


def test_crash_in_middleware_is_a_logged_500_problem(caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(app_with([Tag("outer"), Raises(RuntimeError("boom"))])) as client:
        response = client.get("/ping")
    assert response.status_code == 500
    assert response.json() == {
        "type": "internal-server-error",
        "title": "Internal server error",
        "status": 500,
    }
    assert "boom" not in response.text
    assert trail(response) == ["outer"]
    crashed = [r for r in caplog.records if r.name == "jero" and r.exc_info]
    assert crashed
    assert "Raises" in crashed[0].getMessage()


def test_error_after_the_response_started_ends_the_body(caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(app_with([Raises(RuntimeError("late"), after_start=True)])) as client:
        response = client.get("/ping")
    assert response.status_code == 200
    assert response.content == b"half"
    assert any("Raises" in r.getMessage() for r in caplog.records if r.name == "jero")


def test_middleware_answering_itself_short_circuits_the_route() -> None:
    with TestClient(app_with([Tag("outer"), Answers("whole")])) as client:
        response = client.get("/widgets/1")
    assert response.status_code == 418
    assert response.text == "teapot"
    assert trail(response) == ["outer"]


def test_middleware_that_sends_nothing_still_gets_a_complete_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TestClient(app_with([Tag("outer"), Answers("nothing")])) as client:
        response = client.get("/widgets/1")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "internal-server-error"
    assert trail(response) == ["outer"]
    assert any("without sending a response" in r.getMessage() for r in caplog.records)


def test_middleware_that_never_ends_the_body_has_it_ended() -> None:
    with TestClient(app_with([Answers("start only")])) as client:
        response = client.get("/widgets/1")
    assert response.status_code == 418
    assert response.content == b""


# --- wiring checks ---------------------------------------------------------------------


def test_wiring_rejects_what_is_not_a_middleware() -> None:
    message = wiring_error_of(app_with(ping=[object()]))  # type: ignore[list-item]
    assert "PingEndpoint" in message
    assert "object is not a jero middleware" in message
    assert "ASGIMiddleware(object" in message
    message = wiring_error_of(app_with([Tag]))  # type: ignore[list-item]
    assert "_include_middleware" in message
    assert "pass an instance, Tag(...)" in message


def test_a_list_given_to_include_middleware_says_to_unpack_it() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware([Tag("a")])  # type: ignore[arg-type]

    message = wiring_error_of(App())
    assert "App._include_middleware: got a list of middleware" in message
    assert "_include_middleware(a, b)" in message


def test_wiring_rejects_a_wrap_that_returns_no_app() -> None:
    class Broken:
        def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
            return None  # type: ignore[return-value]

    message = wiring_error_of(app_with([Broken()]))
    assert "Broken.wrap returned NoneType, not an ASGI app" in message


def test_include_middleware_outside_wire_is_a_wiring_error() -> None:
    from jero import WiringError

    with pytest.raises(WiringError, match="_include_middleware belongs inside _wire"):
        BaseApp()._include_middleware(Tag("x"))


# --- the ecosystem's ASGI middleware ---------------------------------------------------


class LoggingEndpoint(Endpoint, path="/logged"):
    async def get(self) -> str:
        from asgi_correlation_id import correlation_id

        logging.getLogger("jero.test").warning("handled")
        return correlation_id.get() or "-"


def logged_app() -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(LoggingEndpoint())

    return App()


def test_asgi_correlation_id_around_the_whole_app() -> None:
    app = CorrelationIdMiddleware(logged_app())
    incoming = "7b3ad5c6e8f14f6b9a1c2d3e4f5a6b7c"
    with TestClient(app) as client:  # lifespan passes through it to jero
        response = client.get("/logged", headers={"x-request-id": incoming})
        assert response.status_code == 200
        assert response.headers["x-request-id"] == incoming
        assert response.text == incoming
        made = client.get("/logged")
        assert len(made.headers["x-request-id"]) == 32
        assert made.text == made.headers["x-request-id"]
        missing = client.get("/nowhere")
        assert missing.status_code == 404
        assert "x-request-id" in missing.headers


def test_asgi_middleware_adapter_per_mount() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            correlated = ASGIMiddleware(CorrelationIdMiddleware, header_name="X-Trace")
            self._include_endpoint(LoggingEndpoint(), middleware=[correlated])
            self._include_endpoint(PingEndpoint())

    with TestClient(App()) as client:
        response = client.get("/logged", headers={"x-trace": "a" * 32})
        assert response.headers["x-trace"] == "a" * 32
        assert response.text == "a" * 32
        assert "x-trace" not in client.get("/ping").headers


# --- OpenAPI -------------------------------------------------------------------------


def test_the_openapi_document_is_the_same_with_and_without_middleware() -> None:
    from examples import catalog
    from jero import CORS, Compression, RequestId

    class WithMiddleware(catalog.App):
        async def _wire(self) -> None:
            self._include_middleware(
                RequestId(), CORS(allow_origins=["https://app.example"]), Compression()
            )
            await super()._wire()

    with TestClient(catalog.App()) as client:
        plain = client.get("/openapi.json")
    with TestClient(WithMiddleware()) as client:
        wrapped = client.get("/openapi.json", headers={"origin": "https://app.example"})
    assert wrapped.headers["content-encoding"] == "zstd"  # the middleware did run
    assert wrapped.headers["access-control-allow-origin"] == "https://app.example"
    assert plain.status_code == wrapped.status_code == 200
    assert wrapped.content == plain.content


def test_problems_from_middleware_follow_the_apps_msgpack_negotiation() -> None:
    import msgspec

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(
                PingEndpoint(), middleware=[Raises(TooManyRequestsError()), Answers("nothing")]
            )

    with TestClient(App(msgpack=True)) as client:
        limited = client.get("/ping", headers={"accept": "application/msgpack"})
        missing = client.get("/nowhere", headers={"accept": "application/msgpack"})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+msgpack"
    assert msgspec.msgpack.decode(limited.content)["type"] == "too-many-requests"
    assert missing.headers["content-type"] == "application/problem+msgpack"


def test_a_body_that_ends_early_is_the_same_400_inside_a_chain() -> None:
    import anyio

    from tests.asgi_driver import aplay, http_scope

    scope = http_scope("POST", "/widgets", headers=[(b"content-type", b"application/json")])
    partial = [{"type": "http.request", "body": b'{"id": 1', "more_body": True}]
    exchange = anyio.run(aplay, app_with([Tag("a")]), scope, partial)
    assert exchange.status == 400
    assert exchange.header(b"x-trail") == b"a"
    assert exchange.problem()["detail"] == (
        "Invalid body: the request body ended before it was complete"
    )


def test_app_wide_middleware_wraps_static_mounts(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello")
    outer = Tag("outer")

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(outer)
            self._include_static("/files", directory=tmp_path)

    with TestClient(App()) as client:
        served = client.get("/files/hello.txt")
        assert served.status_code == 200
        assert served.text == "hello"
        assert trail(served) == ["outer"]
        missing = client.get("/files/nope.txt")
        assert missing.status_code == 404
        assert trail(missing) == ["outer"]
    assert [(r.method, r.path) for r in outer.routes if r.path == "/files/{path}"] == [
        ("GET", "/files/{path}")
    ]


class Elsewhere:
    """A middleware with nothing to do on any route: `wrap` returns the app it got."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        return app


def test_a_middleware_that_wraps_nothing_leaves_the_route_as_it_was() -> None:
    app = app_with([Elsewhere()], ping=[Elsewhere()])
    with TestClient(app) as client:
        assert client.get("/ping").text == "pong"
        router = app.jero.router
        assert router is not None
        found = router.lookup("/ping")
        assert found is not None
        assert found[0].serves["GET"].__name__ == "answer_encoded"
