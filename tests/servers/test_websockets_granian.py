"""WebSockets served by a real granian process, driven by the `websockets` client over
loopback: typed echo, close codes, the HTTP denial response, and teardown observed
through the marker file tests/websocket_server_app.py writes."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator

import anyio
import msgspec
import pytest

from tests.granian_server import WAIT_SECONDS, MarkedServer, granian_marked

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402


def serve_sockets(interface: str) -> contextlib.AbstractContextManager[MarkedServer]:
    return granian_marked("tests.websocket_server_app:app", "JERO_WS_MARKER", interface)


@pytest.fixture(scope="module")
def server(interface: str) -> Iterator[MarkedServer]:
    with serve_sockets(interface) as running:
        yield running


def run[T](main: object) -> T:
    return anyio.run(main)  # type: ignore[arg-type, return-value]


def test_typed_echo_over_json_and_messagepack(server: MarkedServer) -> None:
    async def main() -> list[object]:
        async with connect(f"{server.ws_url}/echo", open_timeout=WAIT_SECONDS) as ws:
            await ws.send('{"text": "hello"}')
            first = await ws.recv()
            await ws.send(msgspec.msgpack.encode({"text": "packed"}))
            second = await ws.recv()
            return [first, second]

    assert run(main) == ['{"text":"hello","n":5}', '{"text":"packed","n":6}']


def test_a_bad_message_and_an_oversized_one_close_with_their_codes(
    server: MarkedServer, interface: str
) -> None:
    if interface == "rsgi":
        pytest.skip("granian 2.8's RSGI sends close frames without a code (docs/rsgi.md)")

    async def closed_by(payload: str) -> tuple[int | None, str | None]:
        async with connect(f"{server.ws_url}/echo", open_timeout=WAIT_SECONDS) as ws:
            await ws.send(payload)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            frame = closed.value.rcvd
            return (frame.code, frame.reason) if frame else (None, None)

    async def main() -> list[tuple[int | None, str | None]]:
        return [await closed_by('{"txt": 1}'), await closed_by("x" * 2000)]

    assert run(main) == [
        (1007, "Object missing required field `text`"),
        (1009, "a message is limited to 1024 bytes"),
    ]


def test_a_refused_handshake_is_answered_with_the_problem_response(
    server: MarkedServer, interface: str
) -> None:
    async def main() -> tuple[InvalidStatus, object]:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{server.ws_url}/me", open_timeout=WAIT_SECONDS):
                pass
        headers = {"Authorization": "Bearer secret"}
        async with connect(f"{server.ws_url}/me", additional_headers=headers) as ws:
            return refused.value, await ws.recv()

    refused, user = run(main)
    response = refused.response
    assert response.status_code == 401
    assert user == '{"name":"ana"}'
    if interface == "rsgi":
        # RSGI refuses a handshake with a bare status: no headers, no body.
        assert response.body == b""
        return
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert msgspec.json.decode(response.body)["type"] == "authentication-required"


def test_the_client_closing_runs_the_disconnect_hook_once(
    server: MarkedServer, interface: str
) -> None:
    before = server.marks().count("disconnect echo 4000")

    async def main() -> None:
        async with connect(f"{server.ws_url}/echo", open_timeout=WAIT_SECONDS) as ws:
            await ws.send('{"text": "x"}')
            await ws.recv()
            await ws.close(4000, "done")

    run(main)
    if interface == "rsgi":
        # granian 2.8's RSGI does not pass the client's close code on (1005, "no status
        # received"): every connection still ends with exactly one disconnect hook.
        marks = server.wait_for_mark("disconnect echo 1005")
        deadline = time.monotonic() + WAIT_SECONDS
        while _unbalanced(marks := server.marks()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _unbalanced(marks), marks
        return
    marks = server.wait_for_mark("disconnect echo 4000")
    assert marks.count("disconnect echo 4000") == before + 1


def _unbalanced(marks: list[str]) -> bool:
    """Not exactly one disconnect per connect of the echo socket."""
    disconnects = [mark for mark in marks if mark.startswith("disconnect echo ")]
    return len(disconnects) != marks.count("connect echo")


def test_server_shutdown_with_an_open_socket_tears_down_once_before_services_close(
    interface: str,
) -> None:
    with serve_sockets(interface) as server:

        async def main() -> None:
            async with connect(f"{server.ws_url}/echo", open_timeout=WAIT_SECONDS) as ws:
                await ws.send('{"text": "x"}')
                assert await ws.recv() == '{"text":"x","n":1}'
                server.process.send_signal(signal.SIGINT)
                # granian drains open connections before it stops; this one now goes.
                await ws.close(4001)

        run(main)
        try:
            server.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"granian did not stop; the app saw {server.marks()}: {server.output()}")
        marks, log = server.marks(), server.output()
    if len(marks) == 1 and "panicked" in log:
        # granian's own runtime failed while stopping the worker (seen once with 2.8.7):
        # the app never heard of it, so there is no teardown to observe.
        pytest.skip(f"granian panicked while stopping: {log}")
    # granian usually drains its connections before lifespan shutdown (granian issue
    # #796), so the hook mostly sees the client's code; when lifespan shutdown comes
    # first, jero closes with 1001; 1005 is granian dropping the connection itself.
    assert marks[0] == "connect echo", log
    assert marks[1] in ("disconnect echo 4001", "disconnect echo 1001", "disconnect echo 1005")
    assert marks[2:] == ["service closed"]
