"""Streams end cleanly whatever ends them: teardown exactly once, pulling stops at once.

The one-yield form under test:

    async def managed(...):
        setup
        try:
            yield iterable
        finally:
            teardown   # awaits here must complete, even while the request is cancelled
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from msgspec import Struct

from jero import BaseApp, Endpoint, NDJSONStreamingResponse, SSEResponse
from jero._asgi import Message
from jero.testing import AsyncTestClient, TestClient, aiter_ndjson, aiter_sse, iter_ndjson
from tests.asgi_driver import http_scope
from tests.routes_app import app_of


class Tick(Struct):
    n: int


class Journal:
    """What the streams did, in order; the assertions read it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.produced = 0

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    async def endless(self) -> AsyncIterator[Tick]:
        try:
            while True:
                yield Tick(self.produced)
                self.produced += 1
        finally:
            self("source closed")

    async def then_wait(self, count: int) -> AsyncIterator[Tick]:
        for n in range(count):
            yield Tick(n)
            self.produced += 1
        self("waiting")
        await anyio.sleep_forever()

    async def fail_after(self, count: int) -> AsyncIterator[Tick]:
        for n in range(count):
            yield Tick(n)
        raise RuntimeError("the source broke")

    async def managed(self, items: AsyncIterator[Tick]) -> AsyncIterator[AsyncIterator[Tick]]:
        self("setup")
        try:
            yield items
        except RuntimeError as error:
            self(f"rollback: {error}")
            raise
        finally:
            await anyio.sleep(0)  # a real await: teardown is shielded from cancellation
            await anyio.lowlevel.checkpoint()
            self("teardown")


def app_for(make: Callable[[], Any], *, service_log: Journal | None = None) -> BaseApp:
    """An app whose GET /stream returns `make()`; a service logs its own closing."""

    class StreamEndpoint(Endpoint, path="/stream"):
        async def get(self) -> NDJSONStreamingResponse[Tick]:
            return make()

    class HealthEndpoint(Endpoint, path="/health"):
        async def get(self) -> Tick:
            return Tick(-1)

    @asynccontextmanager
    async def service() -> AsyncIterator[None]:
        yield
        if service_log is not None:
            service_log("service closed")

    class App(BaseApp):
        async def _wire(self) -> None:
            await self._aenter(service())
            self._include_endpoint(StreamEndpoint())
            self._include_endpoint(HealthEndpoint())

    return App()


def jero_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "jero" and r.levelno >= logging.ERROR]


# --- normal end ------------------------------------------------------------------------


def test_teardown_runs_once_after_the_last_item(caplog: pytest.LogCaptureFixture) -> None:
    journal = Journal()

    async def three() -> AsyncIterator[Tick]:
        for n in range(3):
            journal(f"item {n}")
            yield Tick(n)

    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(three())))
    with TestClient(app) as client:
        response = client.get("/stream")
    assert response.content == b'{"n":0}\n{"n":1}\n{"n":2}\n'
    assert journal.lines == ["setup", "item 0", "item 1", "item 2", "teardown"]
    assert jero_errors(caplog) == []


def test_an_empty_managed_stream_still_tears_down() -> None:
    journal = Journal()

    async def nothing() -> AsyncIterator[Tick]:
        return
        yield

    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(nothing())))
    with TestClient(app) as client:
        assert client.get("/stream").content == b""
    assert journal.lines == ["setup", "teardown"]


# --- client disconnect -----------------------------------------------------------------


def test_leaving_mid_stream_disconnects_and_stops_pulling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(journal.endless())))
    with TestClient(app) as client:
        with client.stream("GET", "/stream") as response:
            received = []
            for tick in iter_ndjson(response, Tick):
                received.append(tick)
                if len(received) == 3:
                    break
        # Leaving the block waited for the request to finish: nothing is pulled any more.
        produced = journal.produced
        assert journal.lines == ["setup", "source closed", "teardown"]
        assert client.get("/health").status_code == 200
    assert received == [Tick(0), Tick(1), Tick(2)]
    assert journal.produced == produced
    assert produced < 100  # back-pressure: the stream never ran far ahead of the reader
    assert jero_errors(caplog) == []


def test_disconnect_while_waiting_for_the_next_item_stops_at_once() -> None:
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(journal.then_wait(2))))
    with TestClient(app) as client:
        with client.stream("GET", "/stream") as response:
            lines = response.iter_lines()
            assert next(lines) == '{"n":0}'
            assert next(lines) == '{"n":1}'
        assert journal.lines == ["setup", "waiting", "teardown"]


def test_a_plain_generator_is_closed_on_disconnect() -> None:
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.endless()))
    with TestClient(app) as client:
        with client.stream("GET", "/stream") as response:
            assert next(response.iter_lines()) == '{"n":0}'
        assert journal.lines == ["source closed"]


def test_sse_with_keepalive_tears_down_on_disconnect() -> None:
    journal = Journal()

    class EventsEndpoint(Endpoint, path="/events"):
        async def get(self) -> SSEResponse[Tick]:
            return SSEResponse(journal.managed(journal.then_wait(1)), keepalive=0.01)

    with TestClient(app_of(EventsEndpoint())) as client:
        with client.stream("GET", "/events") as response:
            chunks = response.iter_raw()
            assert next(chunks) == b'data: {"n":0}\n\n'
            assert next(chunks) == b": ping\n\n"
        assert journal.lines == ["setup", "waiting", "teardown"]


@pytest.mark.anyio
async def test_a_send_refused_by_the_server_counts_as_a_disconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Some servers raise from `send` once the peer is gone, before any disconnect."""
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(journal.endless())))
    sent: list[Message] = []

    async def send(message: Message) -> None:
        if len(sent) == 3:
            raise OSError("connection reset by peer")
        sent.append(message)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    async with AsyncTestClient(app):
        await app(http_scope("GET", "/stream"), receive, send)
    assert [m.get("body") for m in sent[1:]] == [b'{"n":0}\n', b'{"n":1}\n']
    assert journal.lines == ["setup", "source closed", "teardown"]
    assert jero_errors(caplog) == []


# --- errors ----------------------------------------------------------------------------


def test_an_error_mid_stream_is_logged_ends_the_response_and_tears_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(journal.fail_after(2))))
    with TestClient(app) as client:
        response = client.get("/stream")
        assert client.get("/health").json() == {"n": -1}  # the worker keeps serving
    assert response.status_code == 200
    assert response.content == b'{"n":0}\n{"n":1}\n'
    assert journal.lines == ["setup", "rollback: the source broke", "teardown"]
    [record] = jero_errors(caplog)
    assert record.getMessage().endswith("StreamEndpoint.get failed; ending the response")
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, RuntimeError)
    assert str(error) == "the source broke"
    assert "in fail_after" in caplog.text  # the traceback reaches the failing generator


def test_an_error_in_setup_is_a_logged_500_and_there_is_nothing_to_tear_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = Journal()

    async def broken_setup() -> AsyncIterator[AsyncIterator[Tick]]:
        journal("setup")
        raise ConnectionError("database unavailable")
        yield journal.endless()

    app = app_for(lambda: NDJSONStreamingResponse(broken_setup()))
    with TestClient(app) as client:
        response = client.get("/stream")
    # Nothing was sent yet, so the failure is the response, as for a failing handler.
    assert response.status_code == 500
    assert response.json()["type"] == "internal-server-error"
    assert journal.lines == ["setup"]
    [record] = jero_errors(caplog)
    assert "database unavailable" in str(record.exc_info and record.exc_info[1])


def test_a_failing_teardown_is_logged_and_the_response_still_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def bad_teardown() -> AsyncIterator[AsyncIterator[Tick]]:
        try:
            yield _ticks(2)
        finally:
            raise OSError("could not release the connection")

    app = app_for(lambda: NDJSONStreamingResponse(bad_teardown()))
    with TestClient(app) as client:
        response = client.get("/stream")
    assert response.content == b'{"n":0}\n{"n":1}\n'
    [record] = jero_errors(caplog)
    assert record.getMessage().endswith("StreamEndpoint.get failed")
    assert record.getMessage().startswith("The teardown of the stream of ")
    assert "could not release the connection" in str(record.exc_info and record.exc_info[1])


def test_a_generator_that_yields_twice_is_reported_and_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = Journal()

    async def twice() -> AsyncIterator[AsyncIterator[Tick]]:
        try:
            yield _ticks(1)
            yield _ticks(1)
        finally:
            journal("closed")

    app = app_for(lambda: NDJSONStreamingResponse(twice()))
    with TestClient(app) as client:
        assert client.get("/stream").content == b'{"n":0}\n'
    assert journal.lines == ["closed"]
    [record] = jero_errors(caplog)
    assert "yielded more than once" in record.getMessage()


async def _ticks(count: int) -> AsyncIterator[Tick]:
    for n in range(count):
        yield Tick(n)


# --- shutdown and cancellation ---------------------------------------------------------


@pytest.mark.anyio
async def test_shutdown_ends_open_streams_before_the_services_close() -> None:
    journal = Journal()
    app = app_for(
        lambda: NDJSONStreamingResponse(journal.managed(journal.then_wait(1))),
        service_log=journal,
    )
    async with AsyncTestClient(app) as client:
        request = client.build_request("GET", "/stream")
        response = await client.send(request, stream=True)
        lines = response.aiter_lines()
        assert await anext(lines) == '{"n":0}'
        # Leave the client with the stream still open: the app shuts down.
    assert journal.lines == ["setup", "waiting", "teardown", "service closed"]


@pytest.mark.anyio
async def test_a_request_cancelled_by_the_server_still_tears_down_once() -> None:
    """What a server does at shutdown: cancel the request task mid-stream."""
    journal = Journal()
    app = app_for(lambda: NDJSONStreamingResponse(journal.managed(journal.endless())))
    first_chunk = anyio.Event()
    outcome: list[str] = []

    async def send(message: Message) -> None:
        if message.get("body"):
            first_chunk.set()
        await anyio.sleep(0)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    async def request() -> None:
        try:
            await app(http_scope("GET", "/stream"), receive, send)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("returned")

    async with AsyncTestClient(app), anyio.create_task_group() as group:
        group.start_soon(request)
        await first_chunk.wait()
        group.cancel_scope.cancel()
    assert outcome == ["cancelled"]
    assert journal.lines == ["setup", "source closed", "teardown"]


# --- not buffered ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_first_item_arrives_before_the_last_is_produced() -> None:
    count = 10_000
    first_seen = anyio.Event()
    produced: list[int] = []

    async def numbers() -> AsyncIterator[Tick]:
        for n in range(count):
            if n == 1:
                await first_seen.wait()  # a buffering framework would wait here forever
            produced.append(n)
            yield Tick(n)

    app = app_for(lambda: NDJSONStreamingResponse(numbers()))
    async with AsyncTestClient(app) as client:
        with anyio.fail_after(30):  # a hang guard, not a timing assertion
            async with client.stream("GET", "/stream") as response:
                ticks = aiter_ndjson(response, Tick)
                assert await anext(ticks) == Tick(0)
                assert produced == [0]
                first_seen.set()
                rest = [tick.n async for tick in ticks]
    assert rest == list(range(1, count))


@pytest.mark.anyio
async def test_async_helpers_decode_events() -> None:
    class EventsEndpoint(Endpoint, path="/events"):
        async def get(self) -> SSEResponse[Tick]:
            return SSEResponse(_ticks(3))

    async with (
        AsyncTestClient(app_of(EventsEndpoint())) as client,
        client.stream("GET", "/events") as response,
    ):
        events = [event.data async for event in aiter_sse(response, Tick)]
    assert events == [Tick(0), Tick(1), Tick(2)]
