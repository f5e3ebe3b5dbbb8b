"""One app with forms, uploads, a long SSE stream, middleware of both kinds and a
lifecycle service, served by granian on each interface: every answer is the same on
RSGI as on ASGI, and what ran inside the worker is read from the app's marker file."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.granian_server import WAIT_SECONDS, MarkedServer, granian_marked
from tests.rsgi.rsgi_app import BODY_TIMEOUT

pytestmark = pytest.mark.server

TARGET = "tests.rsgi.rsgi_app:app"
MARKER = "JERO_RSGI_MARKER"
BOUNDARY = "rsgi-test-boundary"


@pytest.fixture(scope="module")
def server(interface: str) -> Iterator[MarkedServer]:
    with granian_marked(TARGET, MARKER, interface) as running:
        yield running


def raw_request(server: MarkedServer, request: bytes, *, wait: float = WAIT_SECONDS) -> bytes:
    """Send `request` on a fresh connection; read until the server closes it or `wait`."""
    port = int(server.url.rsplit(":", 1)[1])
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def multipart_head(length: int) -> bytes:
    return (
        b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"content-type: multipart/form-data; boundary={BOUNDARY}\r\n".encode()
        + f"content-length: {length}\r\n\r\n".encode()
    )


def multipart_start() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nslow\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="document"; '
        f'filename="slow.bin"\r\n\r\n'
    ).encode() + b"x" * 1000


def test_lifespan_started_the_service_once(server: MarkedServer) -> None:
    assert server.marks().count("service opened") == 1
    assert "service closed" not in server.marks()


def test_json_body_and_both_kinds_of_middleware(server: MarkedServer) -> None:
    response = httpx.post(f"{server.url}/notes", json={"text": "hi"})
    assert response.status_code == 200
    assert response.content == b'{"text":"hi"}'
    assert response.headers["content-length"] == "13"
    assert response.headers["x-served-by"] == "NoteEndpoint.post"
    assert response.headers["x-plain"] == "yes"
    missing = httpx.get(f"{server.url}/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["x-plain"] == "yes"


def test_path_query_and_repeated_headers_reach_binding(server: MarkedServer) -> None:
    headers = [("x-tag", "a"), ("x-tag", "b")]
    response = httpx.get(f"{server.url}/items/caf%C3%A9%20bar?limit=3", headers=headers)
    assert response.json() == {"item_id": "café bar", "limit": 3, "tags": "a,b"}


def test_an_urlencoded_form_with_a_repeated_field(server: MarkedServer) -> None:
    response = httpx.post(
        f"{server.url}/form",
        content=b"text=hello+there&tags=x&tags=y",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json() == {"text": "hello there", "tags": ["x", "y"]}


def test_a_multipart_upload_bigger_than_the_spool_threshold(server: MarkedServer) -> None:
    document = os.urandom(3 * 1024 * 1024 + 7)
    response = httpx.post(
        f"{server.url}/upload",
        data={"title": "big"},
        files={"document": ("big.bin", document, "application/octet-stream")},
        timeout=WAIT_SECONDS,
    )
    assert response.status_code == 200
    assert response.json() == {
        "title": "big",
        "filename": "big.bin",
        "size": len(document),
        "sha256": hashlib.sha256(document).hexdigest(),
    }


def test_an_upload_that_stalls_is_408_and_the_connection_closes(server: MarkedServer) -> None:
    start = multipart_start()
    raw = raw_request(server, multipart_head(len(start) + 10_000) + start)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), raw[:200]
    assert b"connection: close" in head.lower()
    assert b"application/problem+json" in head
    assert f"arrived for {BODY_TIMEOUT} seconds".encode() in body


def test_a_client_that_vanishes_mid_upload_leaves_no_error(server: MarkedServer) -> None:
    start = multipart_start()
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(multipart_head(len(start) + 10_000) + start)
    response = httpx.post(f"{server.url}/notes", json={"text": "still here"})
    assert response.content == b'{"text":"still here"}'
    log = server.output()
    assert "Traceback" not in log
    assert "ERROR" not in log.upper()


def test_an_sse_client_that_leaves_ends_the_stream_once(server: MarkedServer) -> None:
    before = server.marks().count("teardown ticks")
    with httpx.stream("GET", f"{server.url}/ticks", timeout=WAIT_SECONDS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["x-served-by"] == "TicksEndpoint.get"
        lines = response.iter_lines()
        assert [next(lines), next(lines), next(lines)] == ['data: {"n":0}', "", 'data: {"n":1}']
    server.wait_for_mark("teardown ticks")
    marks = server.marks()
    assert marks.count("teardown ticks") == before + 1
    assert marks.count("open ticks") == marks.count("teardown ticks")


def test_shutdown_closes_the_service_and_exits_0(interface: str) -> None:
    with granian_marked(TARGET, MARKER, interface) as server:
        assert httpx.post(f"{server.url}/notes", json={"text": "x"}).status_code == 200
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=WAIT_SECONDS) == 0
        assert server.marks() == ["service opened", "service closed"]
