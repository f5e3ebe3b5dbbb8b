"""A body dripped just fast enough to dodge the per-chunk timeout is still bounded: the
whole body must keep up `Limits.body_min_rate` once its first `body_timeout` is over."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Sequence

import anyio
import pytest

from jero import Limits
from jero._asgi import Message
from tests.asgi_driver import Exchange, http_scope, running
from tests.body_end_app import App
from tests.forms_support import CONTENT_TYPE, body, part
from tests.granian_server import WAIT_SECONDS, granian

TEXT = "x" * 200
ROUTES = {
    "/json": (b"application/json", b'{"text": "' + TEXT.encode() + b'"}'),
    "/content": (b"application/octet-stream", TEXT.encode()),
    "/form": (b"application/x-www-form-urlencoded", b"text=" + TEXT.encode()),
    "/form?multipart": (CONTENT_TYPE.encode(), body(part("text", TEXT))),
}


def drip(path: str, limits: Limits, pause: float, size: int = 1) -> tuple[Exchange, int]:
    """POST `path` with its body in `size`-byte chunks, each `pause` seconds after the
    last; returns the answer and how many chunks the app pulled."""
    route = path.partition("?")[0]
    content_type, data = ROUTES[path]
    chunks: Sequence[bytes] = [data[i : i + size] for i in range(0, len(data), size)]
    scope = http_scope("POST", route, headers=[(b"content-type", content_type)])
    sent: list[Message] = []
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        await anyio.sleep(pause)
        pulled += 1
        more = pulled < len(chunks)
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": more}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        app = App(limits=limits)
        async with running(app):
            await app(scope, receive, send)

    anyio.run(run)
    return Exchange(sent, pulled), len(chunks)


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_slower_than_the_minimum_rate_is_408_before_it_ends(path: str) -> None:
    # 1 byte every 10 ms (~100 B/s), each well within the 0.2 s per-chunk timeout.
    limits = Limits(body_timeout=0.2, body_min_rate=1000)
    exchange, chunks = drip(path, limits, pause=0.01)
    exchange.assert_well_formed()
    assert exchange.status == 408
    assert exchange.header(b"connection") == b"close"
    problem = exchange.problem()
    assert problem["type"] == "request-timeout"
    assert problem["params"] == {"bytes_per_second": 1000}
    assert exchange.receive_calls < chunks


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_that_keeps_the_rate_binds(path: str) -> None:
    limits = Limits(body_timeout=0.2, body_min_rate=10)
    exchange, chunks = drip(path, limits, pause=0.001, size=16)
    assert exchange.status == 200
    assert exchange.receive_calls == chunks


def test_the_minimum_rate_defaults_on_and_can_be_switched_off() -> None:
    assert Limits().body_min_rate == 1024
    exchange, chunks = drip("/json", Limits(body_timeout=0.2, body_min_rate=None), 0.001)
    assert exchange.status == 200
    assert exchange.receive_calls == chunks


# --- over granian: a dripped body is cut, not held --------------------------------------

DRIPS = 100  # one byte every DRIP_PAUSE: ten seconds, far past the 0.5 s grace


@pytest.mark.server
def test_granian_a_body_dripped_under_the_chunk_timeout_is_408_before_it_ends() -> None:
    with granian("tests.body_end_app:app") as server:  # body_timeout=0.5, default min rate
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as conn:
            conn.sendall(
                b"POST /content HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                b"content-type: application/octet-stream\r\ncontent-length: 10000\r\n\r\n"
            )
            answer = b""
            sent = 0
            conn.setblocking(False)
            while sent < DRIPS and not answer:
                try:
                    conn.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += 1
                time.sleep(0.1)
                with contextlib.suppress(BlockingIOError):  # nothing yet
                    answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), (sent, answer)
        assert b"bytes_per_second" in answer
        assert sent < DRIPS
    print(f"dripped body cut with a 408 after {sent} one-byte chunks (~{sent / 10:.1f} s)")
