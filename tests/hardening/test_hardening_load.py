"""`jero run` keeps answering while 2,000 cheap connections are held open on loopback:
1,000 that never send a byte and 1,000 that drip a JSON body a byte at a time. Bounded:
a fixed number of sockets, drip rounds and seconds; every socket is closed at the end."""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from collections.abc import Iterator

import pytest

from tests.cli_support import answers, serving
from tests.granian_server import free_port

pytestmark = pytest.mark.server

IDLE = 1_000
DRIPPING = 1_000
PROBES = 5
PROBE_SECONDS = 5.0  # a hang guard: a locked-out server never answers within it
DRIP_HEAD = (
    b"POST /widgets HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
    b"content-length: 100000\r\n\r\n{"
)


@pytest.fixture(autouse=True)
def enough_open_files() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = IDLE + DRIPPING + 512
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the hard open files limit {hard} is below {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def probe(port: int) -> tuple[bytes, float]:
    """One GET on a fresh connection: the status line, and the seconds it took."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=PROBE_SECONDS) as conn:
        conn.sendall(b"GET /widgets/probe HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        try:
            answer = conn.recv(64)
        except TimeoutError:
            answer = b"(no answer)"
    return answer.split(b"\r\n", 1)[0], time.perf_counter() - started


def open_connections(port: int, count: int, first: bytes) -> list[socket.socket]:
    held: list[socket.socket] = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=PROBE_SECONDS)
        if first:
            conn.sendall(first)
        held.append(conn)
    return held


def still_open(conn: socket.socket) -> bool:
    conn.setblocking(False)
    try:
        return conn.recv(1) != b""
    except BlockingIOError:
        return True  # nothing to read: open
    except OSError:
        return False


def test_run_answers_a_probe_while_2000_idle_and_dripping_connections_are_held() -> None:
    port = free_port()
    held: list[socket.socket] = []
    with serving(
        ["run", "tests.cli_apps:app", "--port", str(port)],
        answers(f"http://127.0.0.1:{port}/widgets/a"),
    ) as server:
        try:
            held += open_connections(port, IDLE, b"")
            dripping = open_connections(port, DRIPPING, DRIP_HEAD)
            held += dripping
            results: list[tuple[bytes, float]] = []
            for _ in range(PROBES):
                for conn in dripping:
                    conn.sendall(b" ")
                results.append(probe(port))
            assert [status for status, _ in results] == [b"HTTP/1.1 200 OK"] * PROBES
            assert all(still_open(conn) for conn in dripping)
            latencies = sorted(seconds * 1000 for _, seconds in results)
            print(
                f"probe latency with {IDLE} idle + {DRIPPING} dripping held: "
                f"median {latencies[len(latencies) // 2]:.1f} ms, max {latencies[-1]:.1f} ms"
            )
        finally:
            for conn in held:
                with contextlib.suppress(OSError):
                    conn.close()
        assert server.stop() == 0
