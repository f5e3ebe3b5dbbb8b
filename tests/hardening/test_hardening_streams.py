"""A stream whose generator never awaits still stops within a bounded number of chunks
after the client left: jero lets its disconnect watcher run every few chunks."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import anyio
import pytest

from jero._asgi import Message
from tests.asgi_driver import http_scope, running
from tests.granian_server import WAIT_SECONDS, MarkedServer, granian_marked
from tests.hardening.hardening_stream_app import CHUNKS, App

NOTICED = 2 * 16 + 1
"""Chunks a stream generates at most when its client leaves after the first: jero
yields to its disconnect watcher every 16 chunks, the watcher needs a turn or two to see
the disconnect, and nothing more is sent once it has."""
SERVER_BOUND = CHUNKS // 2
"""Over granian, the server's own noticing of the close comes on top: a few thousand
11-byte chunks on an idle loopback, over ten thousand on a loaded machine, against all
100,000 before. The bound is the old failure with room for a busy CI machine."""


def test_a_generator_that_never_awaits_stops_soon_after_the_disconnect(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = tmp_path / "marks.txt"
    monkeypatch.setenv("JERO_HARDENING_MARKER", str(marker))
    bodies: list[bytes] = []

    async def run() -> None:
        gone = anyio.Event()

        async def receive() -> Message:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:  # never suspends, as granian's may not
            if message["type"] == "http.response.body":
                bodies.append(message.get("body", b""))
                gone.set()  # the client leaves after the first chunk

        app = App()
        async with running(app):
            await app(http_scope("GET", "/export"), receive, send)

    anyio.run(run)
    generated = int(marker.read_text().split()[-1])
    assert len(bodies) <= generated <= NOTICED


def wait_for_marks(server: MarkedServer, count: int) -> list[str]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if len(marks := server.marks()) >= count:
            return marks
        time.sleep(0.02)
    pytest.fail(f"{server.marks()} after {WAIT_SECONDS} s; server log: {server.output()}")


@pytest.mark.server
def test_a_dropped_export_over_granian_generates_a_bounded_number_of_chunks() -> None:
    target = "tests.hardening.hardening_stream_app:app"
    with granian_marked(target, "JERO_HARDENING_MARKER") as server:
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET /export HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                assert conn.recv(1)  # like `curl ... | head -c 1`
        generated = [int(line.split()[1]) for line in wait_for_marks(server, 3)]
        print(f"chunks generated per dropped export: {generated}")
        assert all(n < SERVER_BOUND for n in generated)
