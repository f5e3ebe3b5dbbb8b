"""A stream that fails before sending anything is answered like a failing handler: an
`HTTPError` raised in a one-yield generator's setup is its problem response, not an
empty 200."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
from msgspec import Struct

from jero import BaseApp, Endpoint, NDJSONStreamingResponse, NotFoundError, SSEResponse
from jero.testing import TestClient, iter_ndjson


class Tick(Struct):
    n: int


class ShelfMissingError(NotFoundError, type="shelf-missing", title="Shelf missing"):
    pass


async def ticks(count: int) -> AsyncIterator[Tick]:
    for n in range(count):
        yield Tick(n)


def app_streaming(make: object, journal: list[str] | None = None) -> BaseApp:
    class Stream(Endpoint, path="/stream"):
        async def get(self) -> NDJSONStreamingResponse[Tick]:
            return NDJSONStreamingResponse(make())  # type: ignore[operator]

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Stream())

    return App()


def test_an_http_error_in_setup_is_the_problem_response() -> None:
    journal: list[str] = []

    async def managed() -> AsyncIterator[AsyncIterator[Tick]]:
        journal.append("setup")
        raise ShelfMissingError()
        yield ticks(1)

    with TestClient(app_streaming(managed)) as client:
        response = client.get("/stream")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "shelf-missing", "title": "Shelf missing", "status": 404}
    assert journal == ["setup"]


def test_an_http_error_from_the_first_item_is_the_problem_and_teardown_runs() -> None:
    journal: list[str] = []

    async def refusing() -> AsyncIterator[Tick]:
        raise ShelfMissingError()
        yield Tick(0)

    async def managed() -> AsyncIterator[AsyncIterator[Tick]]:
        try:
            yield refusing()
        finally:
            journal.append("teardown")

    with TestClient(app_streaming(managed)) as client:
        response = client.get("/stream")
    assert response.status_code == 404
    assert response.json()["type"] == "shelf-missing"
    assert journal == ["teardown"]


def test_a_stream_that_started_keeps_its_200() -> None:
    async def managed() -> AsyncIterator[AsyncIterator[Tick]]:
        yield ticks(2)

    with TestClient(app_streaming(managed)) as client:
        response = client.get("/stream")
    assert response.status_code == 200
    assert list(iter_ndjson(response, Tick)) == [Tick(0), Tick(1)]


def test_an_empty_stream_is_still_an_empty_200() -> None:
    with TestClient(app_streaming(lambda: ticks(0))) as client:
        response = client.get("/stream")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == b""


def test_an_idle_sse_stream_sends_its_head_with_the_first_keepalive() -> None:
    async def silence() -> AsyncIterator[Tick]:
        await anyio.sleep_forever()
        yield Tick(0)

    class Events(Endpoint, path="/events"):
        async def get(self) -> SSEResponse[Tick]:
            return SSEResponse(silence(), keepalive=0.01)

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Events())

    with TestClient(App()) as client, client.stream("GET", "/events") as response:
        assert response.status_code == 200
        assert next(response.iter_bytes()) == b": ping\n\n"
