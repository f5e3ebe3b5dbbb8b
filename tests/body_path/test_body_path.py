"""The JSON body path: headers, the first receive under the body timeout, the rest of a
chunked body, the decode and the handler call, for a handler that takes `json` alone
(one coroutine does it all) and one that takes more. Driven in-process through raw ASGI
messages, with receives that answer at once, after a while, or never."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import anyio
import msgspec
import pytest
from msgspec import Struct

from jero import BaseApp, Endpoint, Limits, Resource
from jero._asgi import Message
from jero._binding.deadlines import recent
from tests.asgi_driver import Exchange, http_scope, running


class Note(Struct):
    text: str
    count: int = 0


class NotePath(Struct):
    note_id: int


class NoteHeaders(Struct):
    x_tag: str = "-"


class AloneEndpoint(Endpoint, path="/alone"):
    """`json` alone: the binder calls the handler itself."""

    async def post(self, json: Note) -> Note:
        await anyio.sleep(0)  # a cancellation left pending would surface here
        return json


class NoteResource(Resource, path="/notes"):
    """`json` with other parameters: the binder hands the value back."""

    async def update_full(self, path: NotePath, json: Note, headers: NoteHeaders) -> Note:
        await anyio.sleep(0)
        return Note(text=f"{json.text}:{path.note_id}:{headers.x_tag}", count=json.count)


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(AloneEndpoint())
        self._include_resource(NoteResource())


ROUTES = [("POST", "/alone"), ("PUT", "/notes/7")]
DATA = b'{"text": "hi", "count": 2}'
ANSWERS = {"/alone": b'{"text":"hi","count":2}', "/notes/7": b'{"text":"hi:7:-","count":2}'}
JSON = (b"content-type", b"application/json")

type Step = Message | float | None
"""What one receive does: return a message, sleep that many seconds first and then
return the next message (a float followed by it), or never return (None)."""


def request(body: bytes, more: bool = False) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def play(
    method: str,
    path: str,
    steps: Sequence[Step],
    *,
    headers: Sequence[tuple[bytes, bytes]] = (JSON,),
    limits: Limits | None = None,
    app: BaseApp | None = None,
) -> Exchange:
    """One request whose receives follow `steps`; past them, `http.disconnect`."""
    scope = http_scope(method, path, headers=list(headers))
    queue = list(steps)
    sent: list[Message] = []
    calls = 0

    async def receive() -> Message:
        nonlocal calls
        calls += 1
        step = queue.pop(0) if queue else {"type": "http.disconnect"}
        if step is None:
            await anyio.sleep_forever()
        if isinstance(step, float):
            await anyio.sleep(step)
            step = queue.pop(0)
        assert isinstance(step, dict)
        return step

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        served = app or App(limits=limits)
        async with running(served):
            await served(scope, receive, send)

    anyio.run(run)
    return Exchange(sent, calls)


def with_length(body: bytes) -> list[tuple[bytes, bytes]]:
    return [JSON, (b"content-length", str(len(body)).encode())]


# --- bodies that arrive ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_whole_body_in_one_message_binds_with_one_receive(method: str, path: str) -> None:
    exchange = play(method, path, [request(DATA)], headers=with_length(DATA))
    assert (exchange.status, exchange.body, exchange.receive_calls) == (
        200,
        ANSWERS[path],
        1,
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("declared", [True, False])
def test_a_body_in_chunks_binds(method: str, path: str, declared: bool) -> None:
    chunks = [request(DATA[:5], True), request(DATA[5:12], True), request(DATA[12:], False)]
    headers = with_length(DATA) if declared else [JSON]
    exchange = play(method, path, chunks, headers=headers)
    assert (exchange.status, exchange.body) == (200, ANSWERS[path])


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_once_the_declared_length_is_here_the_end_message_is_not_awaited(
    method: str, path: str
) -> None:
    # granian's shape: the bytes with more_body, then an empty end; here the end never comes.
    steps: list[Step] = [request(DATA[:9], True), request(DATA[9:], True), None]
    exchange = play(method, path, steps, headers=with_length(DATA))
    assert (exchange.status, exchange.body, exchange.receive_calls) == (200, ANSWERS[path], 2)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_slow_first_chunk_within_the_timeout_binds(method: str, path: str) -> None:
    limits = Limits(body_timeout=1.0)
    exchange = play(method, path, [0.05, request(DATA)], limits=limits)
    assert (exchange.status, exchange.body) == (200, ANSWERS[path])


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_request_message_without_a_body_key_is_an_empty_body(method: str, path: str) -> None:
    exchange = play(method, path, [{"type": "http.request"}])
    assert exchange.status == 400
    assert exchange.problem()["params"] == {
        "source": "body",
        "reason": "Input data was truncated",
    }


@pytest.mark.parametrize(
    "content_type",
    [b"application/json; charset=utf-8", b"Application/JSON", b"application/problem+json"],
)
def test_json_media_types_other_than_the_exact_one_bind(content_type: bytes) -> None:
    exchange = play("POST", "/alone", [request(DATA)], headers=[(b"content-type", content_type)])
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])


def test_the_first_content_type_counts() -> None:
    headers = [(b"content-type", b"text/plain"), JSON]
    assert play("POST", "/alone", [request(DATA)], headers=headers).status == 415
    headers = [JSON, (b"content-type", b"text/plain")]
    assert play("POST", "/alone", [request(DATA)], headers=headers).status == 200


def test_the_headers_bind_in_any_order_and_later_duplicates_are_ignored() -> None:
    size = str(len(DATA)).encode()
    headers = [
        (b"content-length", size),
        (b"accept", b"*/*"),
        JSON,
        (b"content-length", b"nonsense"),
        (b"content-type", b"text/plain"),
    ]
    exchange = play("POST", "/alone", [request(DATA)], headers=headers)
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])
    headers = [(b"content-length", b"nonsense"), (b"content-length", size), JSON]
    assert play("POST", "/alone", [request(DATA)], headers=headers).status == 400


def test_a_messagepack_body_binds_when_the_app_takes_it() -> None:
    data = msgspec.msgpack.encode({"text": "hi", "count": 2.0})
    headers = [(b"content-type", b"application/msgpack")]
    app = App(msgpack=True)
    exchange = play("POST", "/alone", [request(data)], headers=headers, app=app)
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])  # (answered in JSON)
    assert play("POST", "/alone", [request(data)], headers=headers).status == 415


def test_an_integral_float_binds_an_int_and_a_fraction_is_422() -> None:
    exchange = play("POST", "/alone", [request(b'{"text": "hi", "count": 2.0}')])
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])
    assert play("POST", "/alone", [request(b'{"text": "hi", "count": 2.5}')]).status == 422


# --- bodies refused before or while they are read ----------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("length", "status"), [(b"2000000", 413), (b"1048577", 413), (b"-1", 400), (b"1_0", 400)]
)
def test_a_bad_or_too_large_declared_length_is_refused_before_any_receive(
    method: str, path: str, length: bytes, status: int
) -> None:
    exchange = play(method, path, [request(DATA)], headers=[JSON, (b"content-length", length)])
    assert (exchange.status, exchange.receive_calls) == (status, 0)


def test_a_declared_length_at_the_limit_is_read() -> None:
    limits = Limits(max_body_size=len(DATA))
    headers = with_length(DATA)
    assert play("POST", "/alone", [request(DATA)], headers=headers, limits=limits).status == 200


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_undeclared_body_over_the_limit_is_413(method: str, path: str) -> None:
    limits = Limits(max_body_size=10)
    assert play(method, path, [request(DATA)], limits=limits).status == 413
    chunks = [request(DATA[:8], True), request(DATA[8:16], True), None]
    exchange = play(method, path, chunks, limits=limits)
    assert (exchange.status, exchange.receive_calls) == (413, 2)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_wrong_media_type_is_415_before_any_receive(method: str, path: str) -> None:
    exchange = play(method, path, [request(DATA)], headers=[(b"content-type", b"text/plain")])
    assert (exchange.status, exchange.receive_calls) == (415, 0)
    exchange = play(method, path, [request(DATA)], headers=[])
    assert (exchange.status, exchange.receive_calls) == (415, 0)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_disconnect_first_is_400_ended(method: str, path: str) -> None:
    exchange = play(method, path, [{"type": "http.disconnect"}])
    assert exchange.status == 400
    assert exchange.problem()["params"]["reason"] == (
        "the request body ended before it was complete"
    )


# --- the body timeout -------------------------------------------------------------------

TIMED_OUT = {
    "type": "request-timeout",
    "title": "Request timeout",
    "status": 408,
    "detail": "No part of the request body arrived for 0.05 seconds",
    "params": {"seconds": 0.05},
}
SHORT = Limits(body_timeout=0.05)


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "steps",
    [
        pytest.param([None], id="nothing-ever"),
        pytest.param([request(DATA[:5], True), None], id="first-at-once-then-stall"),
        pytest.param(
            [request(DATA[:5], True), request(DATA[5:9], True), None], id="two-at-once-then-stall"
        ),
        pytest.param([0.01, request(DATA[:5], True), None], id="first-after-a-wait-then-stall"),
    ],
)
@pytest.mark.parametrize("declared", [True, False])
def test_a_body_that_stalls_anywhere_is_408(
    method: str, path: str, steps: list[Step], declared: bool
) -> None:
    headers = with_length(DATA) if declared else [JSON]
    exchange = play(method, path, steps, headers=headers, limits=SHORT)
    exchange.assert_well_formed()
    assert exchange.status == 408
    assert exchange.header(b"connection") == b"close"
    assert exchange.problem() == TIMED_OUT


def test_without_a_body_timeout_a_slow_body_still_binds() -> None:
    limits = Limits(body_timeout=None, body_min_rate=None)
    exchange = play("POST", "/alone", [0.1, request(DATA)], limits=limits)
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])


def test_many_requests_leave_no_wait_behind_in_the_watchdog() -> None:
    """Every way out of a watched wait (a message, a timeout, an error from the server's
    receive, a cancellation) takes the task out of the loop's watchdog."""
    waiting_after: list[int] = []

    async def run() -> None:
        app = App(limits=SHORT)
        async with running(app):
            for steps in ([request(DATA)], [0.01, request(DATA)], [None], [0.01, "raise"]):
                for _ in range(3):
                    await one(app, steps)
            watchdog = recent.watchdog
            assert watchdog is not None
            waiting_after.append(len(watchdog.waiting))

    anyio.run(run)
    assert waiting_after == [0]


async def one(app: BaseApp, steps: Sequence[Any]) -> list[Message]:
    queue = list(steps)
    sent: list[Message] = []

    async def receive() -> Message:
        step = queue.pop(0)
        if step is None:
            await anyio.sleep_forever()
        if isinstance(step, float):
            await anyio.sleep(step)
            step = queue.pop(0)
        if step == "raise":
            raise OSError("the server lost the connection")
        assert isinstance(step, dict)
        return cast("Message", step)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(http_scope("POST", "/alone", headers=[JSON]), receive, send)
    return sent


def test_a_cancellation_from_outside_is_not_a_408() -> None:
    """The server cancels the request task during the body wait: it is cancelled,
    not answered."""
    outcome: list[str] = []

    async def run() -> None:
        app = App(limits=Limits(body_timeout=5.0))
        async with running(app):
            sent: list[Message] = []

            async def receive() -> Message:
                await anyio.sleep_forever()
                raise AssertionError

            async def send(message: Message) -> None:
                sent.append(message)

            task = asyncio.ensure_future(
                app(http_scope("POST", "/alone", headers=[JSON]), receive, send)
            )
            await asyncio.sleep(0.02)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                outcome.append("cancelled")
            outcome.append(f"sent {len(sent)}")
            watchdog = recent.watchdog
            assert watchdog is not None
            outcome.append(f"waiting {len(watchdog.waiting)}")

    asyncio.run(run())
    assert outcome == ["cancelled", "sent 0", "waiting 0"]


def test_a_receive_that_completes_as_its_deadline_passes_keeps_its_message() -> None:
    """A receive that swallows the watchdog's cancellation and returns its message
    anyway: the body binds, and no cancellation is left pending for the handler (which
    awaits after it)."""
    receive = swallowing_receive(request(DATA))
    exchange = asyncio.run(serve_with(receive, Limits(body_timeout=0.02)))
    assert (exchange.status, exchange.body) == (200, ANSWERS["/alone"])


def swallowing_receive(message: Message) -> Callable[[], Awaitable[Message]]:
    async def receive() -> Message:
        with contextlib.suppress(asyncio.CancelledError):  # it finishes its read regardless
            await asyncio.sleep(0.2)
        return message

    return receive


async def serve_with(receive: Callable[[], Awaitable[Message]], limits: Limits) -> Exchange:
    app = App(limits=limits)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async with running(app):
        await app(http_scope("POST", "/alone", headers=[JSON]), receive, send)
    return Exchange(sent, 0)
