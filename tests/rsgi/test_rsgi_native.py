"""A wired jero app answering RSGI requests itself, against stand-ins for granian's
objects: a route no middleware wraps answers in one `response_bytes` call and converts
only the parts of the scope it reads; every other answer (middleware, streams, files,
404/405, problems) is the same as over ASGI."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from msgspec import Struct

from jero import (
    ASGIApp,
    BaseApp,
    ConflictError,
    Endpoint,
    NDJSONStreamingResponse,
    Receive,
    Resource,
    RouteInfo,
    Scope,
    Send,
)
from jero._rsgi.request import RSGIRequest, rsgi_request
from tests.rsgi.standins import FakeScope, Headers, Protocol


class Item(Struct):
    id: int
    name: str
    limit: int = 10


class ItemPath(Struct):
    item_id: int


class ItemParams(Struct):
    limit: int = 10


class Tagged(Struct):
    x_tag: str | None = None


class ItemResource(Resource, path="/items"):
    async def read_one(self, path: ItemPath, params: ItemParams, headers: Tagged) -> Item:
        if path.item_id == 0:
            raise ConflictError()
        if path.item_id == 13:
            raise RuntimeError("unlucky")
        return Item(id=path.item_id, name=headers.x_tag or "item", limit=params.limit)

    async def create(self, json: Item) -> Item:
        return json


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class Row(Struct):
    n: int


class RowsEndpoint(Endpoint, path="/rows"):
    async def get(self) -> NDJSONStreamingResponse[Row]:
        async def rows() -> Any:
            for n in range(2):
                yield Row(n)

        return NDJSONStreamingResponse(rows())


class SeenScopes:
    """Records the scope each request it wraps sees."""

    def __init__(self) -> None:
        self.seen: list[Scope] = []

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            self.seen.append(scope)
            await app(scope, receive, send)

        return record


class WrappedEndpoint(Endpoint, path="/wrapped"):
    async def get(self) -> str:
        return "wrapped"


class App(BaseApp):
    def __init__(self, files: Path) -> None:
        super().__init__()
        self.files = files
        self.middleware = SeenScopes()

    async def _wire(self) -> None:
        self._include_resource(ItemResource())
        self._include_endpoint(PingEndpoint())
        self._include_endpoint(RowsEndpoint())
        self._include_endpoint(WrappedEndpoint(), middleware=[self.middleware])
        self._include_static("/files", directory=self.files)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[App, asyncio.AbstractEventLoop]]:
    (tmp_path / "a.txt").write_text("file a")
    app = App(tmp_path)
    loop = asyncio.new_event_loop()
    app.__rsgi_init__(loop)
    try:
        yield app, loop
    finally:
        app.__rsgi_del__(loop)
        loop.close()


def call(
    served: tuple[App, asyncio.AbstractEventLoop], scope: FakeScope, body: list[bytes] | None = None
) -> Protocol:
    app, loop = served
    protocol = Protocol(body)
    loop.run_until_complete(app.__rsgi__(scope, protocol))  # type: ignore[arg-type]
    return protocol


def only_call(protocol: Protocol) -> tuple[Any, ...]:
    assert len(protocol.calls) == 1, protocol.calls
    return protocol.calls[0]


def test_an_encoded_answer_is_one_response_bytes_call_with_text_headers(served: Any) -> None:
    kind, status, headers, body = only_call(call(served, FakeScope("/ping")))
    assert (kind, status, body) == ("bytes", 200, b"pong")
    assert headers == [("content-type", "text/plain; charset=utf-8"), ("content-length", "4")]


def test_head_keeps_the_headers_and_drops_the_body(served: Any) -> None:
    kind, status, headers, body = only_call(call(served, FakeScope("/ping", method="HEAD")))
    assert (kind, status, body) == ("bytes", 200, b"")
    assert ("content-length", "4") in headers


def test_path_query_and_headers_are_bound(served: Any) -> None:
    scope = FakeScope("/items/7", query="limit=3", headers=[("x-tag", "tagged")])
    _, status, _, body = only_call(call(served, scope))
    assert status == 200
    assert json.loads(body) == {"id": 7, "name": "tagged", "limit": 3}


def test_bad_input_is_the_apps_problem_answer(served: Any) -> None:
    _, status, headers, body = only_call(call(served, FakeScope("/items/7", query="limit=x")))
    assert status == 400
    assert ("content-type", "application/problem+json") in headers
    assert "limit" in json.loads(body)["detail"]


def test_a_raised_http_error_and_a_crash_are_problems(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, status, _, body = only_call(call(served, FakeScope("/items/0")))
    assert (status, json.loads(body)["title"]) == (409, "Conflict")
    with caplog.at_level(logging.ERROR, logger="jero"):
        _, status, _, _ = only_call(call(served, FakeScope("/items/13")))
    assert status == 500
    assert "Unhandled error in GET /items/13" in caplog.text


def test_a_json_body_is_read_decoded_and_echoed(served: Any) -> None:
    payload = b'{"id":5,"name":"widget","limit":2}'
    headers = [("content-type", "application/json"), ("content-length", str(len(payload)))]
    scope = FakeScope("/items", method="POST", headers=headers)
    _, status, _, body = only_call(call(served, scope, [payload, b""]))
    assert (status, body) == (201, payload)


def test_a_body_in_the_wrong_media_type_or_malformed_is_refused(served: Any) -> None:
    plain = FakeScope(
        "/items", method="POST", headers=[("content-type", "text/plain"), ("content-length", "2")]
    )
    assert only_call(call(served, plain, [b"{}"]))[1] == 415
    broken = FakeScope(
        "/items",
        method="POST",
        headers=[("content-type", "application/json"), ("content-length", "1")],
    )
    assert only_call(call(served, broken, [b"{"]))[1] == 400


def test_a_stream_and_a_file_are_served_through_the_asgi_stack(served: Any) -> None:
    rows = call(served, FakeScope("/rows"))
    assert only_call(rows)[:2] == ("stream", 200)
    assert rows.stream is not None
    assert b"".join(rows.stream.chunks) == b'{"n":0}\n{"n":1}\n'
    kind, status, _, path = only_call(call(served, FakeScope("/files/a.txt")))
    assert (kind, status, Path(path).read_text()) == ("file", 200, "file a")


def test_404_405_and_options_are_answered(served: Any) -> None:
    assert only_call(call(served, FakeScope("/nowhere")))[1] == 404
    _, status, headers, _ = only_call(call(served, FakeScope("/ping", method="DELETE")))
    assert status == 405
    assert ("allow", "GET, HEAD, OPTIONS") in headers
    _, status, headers, _ = only_call(call(served, FakeScope("/ping", method="OPTIONS")))
    assert (status, ("allow", "GET, HEAD, OPTIONS") in headers) == (204, True)


def test_middleware_sees_a_complete_plain_scope(served: Any) -> None:
    scope = FakeScope("/wrapped", query="a=1", headers=[("x-tag", "t")])
    assert only_call(call(served, scope))[3] == b"wrapped"
    (seen,) = served[0].middleware.seen
    assert type(seen) is dict
    assert seen["headers"] == [(b"x-tag", b"t")]
    assert (seen["query_string"], seen["client"]) == (b"a=1", ("::1", 50123))


def test_before_wiring_an_rsgi_request_is_a_503(tmp_path: Path) -> None:
    app = App(tmp_path)
    protocol = Protocol()
    asyncio.run(app.__rsgi__(FakeScope("/ping"), protocol))  # type: ignore[arg-type]
    assert only_call(protocol)[1] == 503


class CountingHeaders(Headers):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__(items)
        self.listed = 0

    def items(self) -> list[tuple[str, str]]:
        self.listed += 1
        return super().items()


def test_a_requests_scope_converts_each_key_once_when_first_read() -> None:
    scope = FakeScope("/p", query="q=1", headers=[("x-a", "1")])
    headers = scope.headers = CountingHeaders([("x-a", "1")])
    asgi = rsgi_request(scope, Protocol(), "GET", "/p")  # type: ignore[arg-type]
    assert isinstance(asgi, RSGIRequest)
    assert dict(asgi) == {"type": "http", "method": "GET", "path": "/p", "root_path": ""}
    assert asgi["headers"] == [(b"x-a", b"1")]
    assert asgi["headers"] is asgi["headers"]
    assert headers.listed == 1
    assert asgi.get("query_string") == b"q=1"
    assert asgi.get("client") == ("::1", 50123)
    assert asgi.get("state", "absent") == "absent"
    with pytest.raises(KeyError):
        asgi["state"]
