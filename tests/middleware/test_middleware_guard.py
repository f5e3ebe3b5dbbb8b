"""What the middleware guard promises, layer by layer: a middleware's error becomes a
response the layers outside it see (even when they hold the response back or would
swallow an exception), a response it leaves unfinished is finished at its own place in
the chain, and every exchange stays well formed (one start, one end, nothing after)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from asgi_correlation_id import CorrelationIdMiddleware

from jero import (
    ASGIApp,
    ASGIMiddleware,
    BaseApp,
    Compression,
    Endpoint,
    Message,
    Middleware,
    Receive,
    RouteInfo,
    Scope,
    Send,
    TooManyRequestsError,
)
from jero._errors import ClientDisconnectError
from jero._middleware.chain import compose, self_guarded
from jero._rendering.negotiation import send_json_problem
from jero.testing import TestClient
from tests.asgi_driver import Exchange, aplay, http_scope


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class Tag:
    """Appends `x-trail: <name>` to the response head."""

    def __init__(self, name: str) -> None:
        self.mark = (b"x-trail", name.encode())

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        mark = self.mark

        async def tagged(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_tagged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], mark]}
                await send(message)

            await app(scope, receive, send_tagged)

        return tagged


class Holding:
    """Holds every message of the response until the next step returns, then sends
    them all, tagged `x-trail: holding` (as a middleware computing an ETag would)."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def holding(scope: Scope, receive: Receive, send: Send) -> None:
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await app(scope, receive, hold)
            trail = (b"x-trail", b"holding")
            for message in held:
                if message["type"] == "http.response.start":
                    await send({**message, "headers": [*message["headers"], trail]})
                else:
                    await send(message)

        return holding


class Swallows:
    """Catches whatever the next step raises and answers 503 itself; counts catches."""

    def __init__(self) -> None:
        self.caught: list[BaseException] = []

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def swallowing(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await app(scope, receive, send)
            except Exception as error:
                self.caught.append(error)
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"swallowed"})

        return swallowing


class Crashes:
    """Raises `error`; after `sent` it first sends a head and a partial body."""

    def __init__(self, error: Exception, *, sent: bool = False) -> None:
        self.error = error
        self.sent = sent

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def crashing(scope: Scope, receive: Receive, send: Send) -> None:
            if self.sent:
                headers = [(b"content-type", b"text/plain")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b"half", "more_body": True})
            raise self.error

        return crashing


class Silent:
    """Returns without calling the next step or sending anything."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def silent(scope: Scope, receive: Receive, send: Send) -> None:
            return

        return silent


def app_with(*middleware: Middleware) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(PingEndpoint(), middleware=middleware)

    return App()


def play(
    app: ASGIApp, path: str = "/ping", headers: Sequence[tuple[bytes, bytes]] = ()
) -> Exchange:
    scope = http_scope("GET", path, headers=headers)
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    return anyio.run(aplay, app, scope, request)


def trail(exchange: Exchange) -> list[bytes]:
    return [value for name, value in exchange.headers if name == b"x-trail"]


def kinds(exchange: Exchange) -> list[str]:
    return [message["type"] for message in exchange.messages]


def jero_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "jero" and r.levelno >= logging.ERROR]


# --- an error before the response started: the problem, seen by every outer layer -----


def test_an_http_error_in_the_middle_of_a_chain_is_seen_by_each_layer_outside_it() -> None:
    exchange = play(app_with(Tag("a"), Tag("b"), Crashes(TooManyRequestsError()), Tag("c")))
    exchange.assert_well_formed()
    assert exchange.status == 429
    assert exchange.problem()["type"] == "too-many-requests"
    assert trail(exchange) == [b"b", b"a"]  # c never ran: the error came before it


def test_a_crash_in_the_middle_is_a_500_logged_with_the_name_of_the_layer_that_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Tag("a"), Crashes(RuntimeError("secret")), Tag("c")))
    exchange.assert_well_formed()
    assert exchange.status == 500
    assert exchange.problem()["type"] == "internal-server-error"
    assert b"secret" not in exchange.body
    assert trail(exchange) == [b"a"]
    (record,) = jero_errors(caplog)
    assert "Crashes" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "secret"


def test_a_layer_holding_the_response_back_still_gets_the_problem_of_a_crash_inside() -> None:
    exchange = play(app_with(Holding(), Crashes(RuntimeError("boom"))))
    exchange.assert_well_formed()
    assert exchange.status == 500
    assert trail(exchange) == [b"holding"]


def test_a_middleware_that_would_swallow_exceptions_sees_the_problem_response_instead() -> None:
    for error, status in ((TooManyRequestsError(), 429), (RuntimeError("boom"), 500)):
        swallows = Swallows()
        exchange = play(app_with(Tag("a"), swallows, Crashes(error)))
        exchange.assert_well_formed()
        assert exchange.status == status
        assert trail(exchange) == [b"a"]
        assert swallows.caught == []


def test_a_client_gone_inside_a_middleware_ends_the_exchange_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Tag("a"), Crashes(ClientDisconnectError())))
    assert exchange.messages == []
    assert jero_errors(caplog) == []


# --- an error after the response started: too late for a status, the body is ended ----


def test_a_crash_after_the_head_ends_the_body_where_it_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Tag("a"), Crashes(RuntimeError("late"), sent=True)))
    assert kinds(exchange) == ["http.response.start", "http.response.body", "http.response.body"]
    assert exchange.status == 200
    assert exchange.body == b"half"
    assert not exchange.messages[-1].get("more_body", False)
    assert trail(exchange) == [b"a"]
    (record,) = jero_errors(caplog)
    assert "Crashes" in record.getMessage()


def test_an_http_error_after_the_head_is_logged_and_ends_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Crashes(TooManyRequestsError(), sent=True)))
    assert exchange.status == 200
    assert exchange.body == b"half"
    assert not exchange.messages[-1].get("more_body", False)
    (record,) = jero_errors(caplog)
    assert "after the response started" in record.getMessage()


def test_a_crash_after_the_head_inside_a_layer_holding_it_back_ends_that_response() -> None:
    """The layer outside holds the head: the crash is still after the start (where the
    crashing layer stands), so the held response is ended, never given a second head."""
    exchange = play(app_with(Holding(), Crashes(RuntimeError("late"), sent=True)))
    assert kinds(exchange).count("http.response.start") == 1
    assert exchange.status == 200
    assert exchange.body == b"half"
    assert not exchange.messages[-1].get("more_body", False)


def test_a_crash_after_the_head_inside_compression_ends_the_compressed_stream() -> None:
    import zlib

    app = app_with(Compression(encodings=["gzip"]), Crashes(RuntimeError("late"), sent=True))
    exchange = play(app, headers=[(b"accept-encoding", b"gzip")])
    assert kinds(exchange).count("http.response.start") == 1
    assert exchange.status == 200
    assert exchange.header(b"content-encoding") == b"gzip"
    assert zlib.decompress(exchange.body, 31) == b"half"


# --- responses left unfinished: finished at the layer's own place ----------------------


def test_a_silent_layer_gets_a_500_that_the_layers_outside_see(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Tag("a"), Holding(), Silent()))
    exchange.assert_well_formed()
    assert exchange.status == 500
    assert trail(exchange) == [b"holding", b"a"]
    assert any("Silent returned without sending" in r.getMessage() for r in jero_errors(caplog))


def test_a_complete_response_held_back_by_an_outer_layer_is_left_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exchange = play(app_with(Tag("a"), Holding(), Tag("b")))
    exchange.assert_well_formed()
    assert exchange.status == 200
    assert exchange.body == b"pong"
    assert trail(exchange) == [b"b", b"holding", b"a"]
    assert jero_errors(caplog) == []


def test_a_file_sent_by_path_is_a_finished_response(tmp_path: Path) -> None:
    """`http.response.pathsend` ends the response: nothing is sent after it."""
    (tmp_path / "hello.txt").write_text("hello")

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Tag("a"))
            self._include_static("/files", directory=tmp_path)

    scope = http_scope("GET", "/files/hello.txt")
    scope["extensions"] = {"http.response.pathsend": {}}
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    exchange = anyio.run(aplay, App(), scope, request)
    assert kinds(exchange) == ["http.response.start", "http.response.pathsend"]
    assert exchange.messages[1]["path"] == str(tmp_path / "hello.txt")
    assert trail(exchange) == [b"a"]


# --- plain ASGI middleware ---------------------------------------------------------------


class Exploding:
    """A plain ASGI middleware (`Exploding(app)`) that crashes on a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"x-explode", b"1") in scope["headers"]:
            raise RuntimeError("exploded")
        await self.app(scope, receive, send)


def test_plain_asgi_middleware_around_the_app_sees_a_crash_inside_as_a_response() -> None:
    app = CorrelationIdMiddleware(app_with(Tag("a"), Crashes(RuntimeError("boom"))))
    with TestClient(app) as client:
        response = client.get("/ping")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.headers["x-request-id"]) == 32
    assert response.headers.get_list("x-trail") == ["a"]


def test_a_crash_in_adapted_plain_asgi_middleware_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = app_with(Tag("a"), ASGIMiddleware(Exploding))
    with TestClient(app) as client:
        fine = client.get("/ping")
        crashed = client.get("/ping", headers={"x-explode": "1"})
    assert fine.status_code == 200
    assert fine.text == "pong"
    assert crashed.status_code == 500
    assert crashed.json()["type"] == "internal-server-error"
    assert crashed.headers.get_list("x-trail") == ["a"]
    (record,) = jero_errors(caplog)
    assert "Exploding" in record.getMessage()


# --- jero's own middleware is trusted -------------------------------------------------


def test_a_self_guarded_layer_runs_exactly_as_its_wrap_returned_it() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        return

    returned: list[Any] = []

    @self_guarded
    class Trusted:
        def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
            async def trusted(scope: Scope, receive: Receive, send: Send) -> None:
                await app(scope, receive, send)

            returned.append(trusted)
            return trusted

    class Untrusted(Trusted):  # marking is for the exact class only
        pass

    info = RouteInfo(method="GET", path="/ping", allow=frozenset({"GET", "HEAD"}))
    assert compose(inner, [Trusted()], info, send_json_problem) is returned[-1]
    assert compose(inner, [Untrusted()], info, send_json_problem) is not returned[-1]


def test_jero_layers_outside_a_failing_one_still_apply_their_headers() -> None:
    from jero import CORS, RequestId

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(RequestId(), CORS(allow_origins=["https://app.example"]))
            self._include_endpoint(PingEndpoint(), middleware=[Crashes(TooManyRequestsError())])

    exchange = play(App(), headers=[(b"origin", b"https://app.example")])
    exchange.assert_well_formed()
    assert exchange.status == 429
    assert exchange.header(b"access-control-allow-origin") == b"https://app.example"
    request_id = exchange.header(b"x-request-id")
    assert request_id is not None
    assert len(request_id) == 32


def test_a_silent_layer_answering_head_gets_a_bodiless_500() -> None:
    scope = http_scope("HEAD", "/ping")
    request = [{"type": "http.request", "body": b"", "more_body": False}]
    exchange = anyio.run(aplay, app_with(Tag("a"), Silent()), scope, request)
    exchange.assert_well_formed(head=True)
    assert exchange.status == 500
    assert exchange.body == b""
    assert trail(exchange) == [b"a"]
