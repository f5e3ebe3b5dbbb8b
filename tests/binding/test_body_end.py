"""A request body that ends before it is complete, or stops arriving: a 400 or
a 408 problem while the client is still there, nothing at all once it is gone. Driven
in-process through raw ASGI messages, and over raw sockets against a real granian."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator, Sequence

import anyio
import pytest

from jero import Limits, RequestTimeoutError
from jero._asgi import Message
from tests.asgi_driver import Exchange, http_scope, running
from tests.body_end_app import BODY_TIMEOUT, App
from tests.forms_support import CONTENT_TYPE, body, part
from tests.granian_server import GranianProcess, granian

ENDED = {
    "type": "malformed-request",
    "title": "Malformed request",
    "status": 400,
    "detail": "Invalid body: the request body ended before it was complete",
    "params": {"source": "body", "reason": "the request body ended before it was complete"},
}
MULTIPART = body(part("text", "hello"))
ROUTES = {
    "/json": (b"application/json", b'{"text": "hello"}'),
    "/content": (b"application/octet-stream", b"hello"),
    "/form": (b"application/x-www-form-urlencoded", b"text=hello"),
    "/form?multipart": (CONTENT_TYPE.encode(), MULTIPART),
}


def play(
    path: str,
    messages: Sequence[Message],
    *,
    then: str = "disconnect",
    limits: Limits | None = None,
) -> Exchange:
    """One POST whose `receive` plays `messages`, then either `http.disconnect` with the
    client still listening (`then="disconnect"`), `http.disconnect` with the client gone
    so that `send` raises OSError as ASGI servers may (`"gone"`), or nothing ever
    (`"stall"`)."""
    route = path.partition("?")[0]
    content_type, _ = ROUTES[path]
    scope = http_scope("POST", route, headers=[(b"content-type", content_type)])
    queue = list(messages)
    sent: list[Message] = []
    calls = 0
    disconnected = False

    async def receive() -> Message:
        nonlocal calls, disconnected
        calls += 1
        if queue:
            return queue.pop(0)
        if then == "stall":
            await anyio.sleep_forever()
        disconnected = True
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if then == "gone" and disconnected:
            raise OSError("the client went away")
        sent.append(message)

    async def run() -> None:
        app = App(limits=limits)
        async with running(app):
            await app(scope, receive, send)

    anyio.run(run)
    return Exchange(sent, calls)


def first_half(path: str) -> list[Message]:
    _, data = ROUTES[path]
    return [{"type": "http.request", "body": data[:4], "more_body": True}]


# --- in-process ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_that_ends_early_with_the_client_still_there_is_400(path: str) -> None:
    for messages in (first_half(path), []):
        exchange = play(path, messages)
        exchange.assert_well_formed()
        assert exchange.status == 400
        assert exchange.problem() == ENDED


@pytest.mark.parametrize("path", ROUTES)
def test_a_client_that_is_gone_gets_nothing_and_nothing_is_logged(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, "jero"):
        exchange = play(path, first_half(path), then="gone")
    assert exchange.messages == []
    assert caplog.records == []


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_that_stalls_is_408_after_body_timeout(path: str) -> None:
    for messages in (first_half(path), []):
        exchange = play(path, messages, then="stall", limits=Limits(body_timeout=0.05))
        exchange.assert_well_formed()
        assert exchange.status == 408
        assert exchange.header(b"connection") == b"close"
        assert exchange.problem() == {
            "type": "request-timeout",
            "title": "Request timeout",
            "status": 408,
            "detail": "No part of the request body arrived for 0.05 seconds",
            "params": {"seconds": 0.05},
        }


def test_the_timeout_is_idle_time_between_chunks_not_the_whole_body() -> None:
    chunks = [b'{"text": ', b'"hel', b'lo"}']

    async def run() -> list[Message]:
        app = App(limits=Limits(body_timeout=0.2))
        scope = http_scope("POST", "/json", headers=[(b"content-type", b"application/json")])
        sent: list[Message] = []
        queue = list(chunks)

        async def receive() -> Message:
            await anyio.sleep(0.1)  # each chunk within the timeout, all of them past it
            chunk = queue.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

        async def send(message: Message) -> None:
            sent.append(message)

        async with running(app):
            await app(scope, receive, send)
        return sent

    exchange = Exchange(anyio.run(run), 0)
    assert exchange.status == 200
    assert exchange.body == b'{"text":"hello"}'


def test_the_default_body_timeout_is_60_seconds_and_the_error_is_public() -> None:
    assert Limits().body_timeout == 60.0
    assert Limits(body_timeout=None).body_timeout is None
    error = RequestTimeoutError()
    assert (error.status, error.type, error.title) == (408, "request-timeout", "Request timeout")


@pytest.mark.server
def test_without_a_body_timeout_a_complete_body_binds() -> None:
    _, data = ROUTES["/json"]
    messages: list[Message] = [{"type": "http.request", "body": data, "more_body": False}]
    exchange = play("/json", messages, limits=Limits(body_timeout=None))
    assert exchange.status == 200


# --- over granian ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(interface: str) -> Iterator[GranianProcess]:
    with granian("tests.body_end_app:app", interface=interface) as server:
        yield server


def exchange_raw(server: GranianProcess, request: bytes, *, wait: float = 10.0) -> bytes:
    """Send `request` on a fresh connection and read until the server closes it, or until
    a complete response (by Content-Length) arrived, or `wait` seconds passed."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            head, sep, rest = received.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(rest) >= length:
                    break
        return received


def status_and_problem(raw: bytes) -> tuple[int, dict[str, object], bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/problem+json" in head.lower(), head
    return status, json.loads(rest), head


def post(path: str, framing: bytes, payload: bytes) -> bytes:
    content_type, _ = ROUTES[path]
    route = path.partition("?")[0]
    head = f"POST {route} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    return head + b"content-type: " + content_type + b"\r\n" + framing + b"\r\n" + payload


@pytest.mark.parametrize("path", ROUTES)
def test_granian_an_invalid_chunk_size_is_a_400_problem(server: GranianProcess, path: str) -> None:
    _, data = ROUTES[path]
    chunk = f"{4:x}\r\n".encode() + data[:4] + b"\r\n"
    request = post(path, b"transfer-encoding: chunked\r\n", chunk + b"zz\r\n")
    status, found, _ = status_and_problem(exchange_raw(server, request))
    assert status == 400
    assert found == ENDED


@pytest.mark.parametrize("path", ROUTES)
def test_granian_a_body_shorter_than_its_content_length_is_408(
    server: GranianProcess, path: str
) -> None:
    _, data = ROUTES[path]
    request = post(path, f"content-length: {len(data) + 100}\r\n".encode(), data)
    status, found, head = status_and_problem(exchange_raw(server, request))
    assert status == 408
    assert found["type"] == "request-timeout"
    assert found["detail"] == f"No part of the request body arrived for {BODY_TIMEOUT} seconds"
    assert b"connection: close" in head.lower()


def test_granian_a_complete_body_still_binds(server: GranianProcess) -> None:
    _, data = ROUTES["/json"]
    raw = exchange_raw(server, post("/json", f"content-length: {len(data)}\r\n".encode(), data))
    assert raw.startswith(b"HTTP/1.1 200")
    assert raw.endswith(b'{"text":"hello"}')


def test_granian_logs_no_error_for_a_client_that_vanishes(server: GranianProcess) -> None:
    _, data = ROUTES["/json"]
    request = post("/json", f"content-length: {len(data) + 100}\r\n".encode(), data[:4])
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
    # The server keeps serving, and neither jero nor granian reported a failure.
    raw = exchange_raw(server, post("/json", f"content-length: {len(data)}\r\n".encode(), data))
    assert raw.startswith(b"HTTP/1.1 200")
    assert "Traceback" not in server.output()
    assert "ERROR" not in server.output().upper().replace("NO ERROR", "")
