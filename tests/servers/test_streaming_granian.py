"""Streams served by a real granian process: the client drops the connection mid-stream,
the server shuts down under an open stream, a stream fails — and the teardown inside the
server is observed through the marker file tests/streaming_server_app.py writes."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import httpx
import pytest

from tests.granian_server import WAIT_SECONDS, MarkedServer, granian_marked


def serve_streams(interface: str) -> contextlib.AbstractContextManager[MarkedServer]:
    return granian_marked("tests.streaming_server_app:app", "JERO_STREAM_MARKER", interface)


@pytest.fixture(scope="module")
def server(interface: str) -> Iterator[MarkedServer]:
    with serve_streams(interface) as running:
        yield running


def test_client_dropping_mid_stream_runs_the_teardown_once(server: MarkedServer) -> None:
    with httpx.stream("GET", f"{server.url}/ticks", timeout=WAIT_SECONDS) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        received: list[str] = []
        for line in response.iter_lines():
            received.append(line)
            if len(received) == 3:
                break
    # Leaving the block closed the connection mid-stream.
    assert received == ['{"n":0}', '{"n":1}', '{"n":2}']
    marks = server.wait_for_mark("teardown ticks")
    assert marks.count("open ticks") == 1
    assert marks.count("teardown ticks") == 1
    assert httpx.get(f"{server.url}/health").json() == {"ok": True}


def test_dropping_an_sse_stream_blocked_on_its_next_event(server: MarkedServer) -> None:
    with httpx.stream("GET", f"{server.url}/waiting", timeout=WAIT_SECONDS) as response:
        assert response.headers["content-type"] == "text/event-stream"
        lines = response.iter_lines()
        assert next(lines) == 'data: {"n":0}'
        assert next(lines) == ""
        # The app now waits forever for its next event; the client leaves.
    marks = server.wait_for_mark("teardown waiting")
    assert marks.count("teardown waiting") == 1
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_stream_that_fails_is_logged_ended_and_the_worker_survives(server: MarkedServer) -> None:
    response = httpx.get(f"{server.url}/broken", timeout=WAIT_SECONDS)
    assert response.status_code == 200
    assert response.content == b'{"n":0}\n{"n":1}\n'
    marks = server.wait_for_mark("teardown broken")
    assert marks.count("teardown broken") == 1
    log = server.output()
    assert "The stream of BrokenEndpoint.get failed; ending the response" in log
    assert "RuntimeError: the tick source broke" in log
    assert httpx.get(f"{server.url}/health").json() == {"ok": True}


def test_server_shutdown_with_an_open_stream_runs_the_teardown_once(interface: str) -> None:
    with serve_streams(interface) as server:
        with httpx.stream("GET", f"{server.url}/waiting", timeout=WAIT_SECONDS) as response:
            lines = response.iter_lines()
            assert next(lines) == 'data: {"n":0}'
            server.process.send_signal(signal.SIGINT)
            # granian drains open connections before it stops; this one now goes away.
        assert server.process.wait(timeout=WAIT_SECONDS) == 0
        marks = server.marks()
    assert marks == ["open waiting", "teardown waiting"]
