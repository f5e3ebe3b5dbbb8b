"""examples/chat.py over granian with a member that never reads: the room keeps
flowing, the slow member is closed, and the server's memory stays bounded."""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from pathlib import Path

import anyio
import pytest

from tests.granian_server import WAIT_SECONDS, granian

pytestmark = pytest.mark.server

from websockets.asyncio.client import connect  # noqa: E402

POSTS = 2_000
TEXT = "x" * 1_000
RSS_BOUND_MB = 150
"""Growth of the server's resident memory the test tolerates: a bound, not a benchmark
(the room's outboxes hold at most a few hundred KiB for the slow member)."""


def resident_mb(group: int) -> float:
    """Resident memory of every process in the server's process group, in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            status = (entry / "status").read_text()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def never_reading_member(port: int) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer that reads nothing after the
    handshake."""
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.settimeout(WAIT_SECONDS)
    conn.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /rooms/lobby/ws?nick=slow HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n"
        f"connection: Upgrade\r\nsec-websocket-key: {key}\r\nsec-websocket-version: 13\r\n\r\n"
    )
    conn.sendall(head.encode())
    assert conn.recv(12) == b"HTTP/1.1 101"
    return conn


def closed_by_server(conn: socket.socket) -> bool:
    """Read what is left until the server ends the connection (bounded)."""
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while time.monotonic() < deadline:
            if not conn.recv(65536):
                return True
    except (ConnectionResetError, TimeoutError):
        return True
    return False


def test_a_member_that_never_reads_does_not_stall_the_room() -> None:
    with granian("examples.chat:app") as server:
        port = int(server.url.rsplit(":", 1)[1])
        group = server.process.pid
        before = resident_mb(group)
        slow = never_reading_member(port)
        peak = before
        received = 0

        async def room() -> None:
            nonlocal peak, received
            url = f"ws://127.0.0.1:{port}/rooms/lobby/ws"
            async with connect(f"{url}?nick=ana") as ana, connect(f"{url}?nick=bob") as bob:

                async def read_bob() -> None:
                    nonlocal received
                    async for frame in bob:
                        if json.loads(frame)["type"] == "posted":
                            received += 1
                            if received == POSTS:
                                return

                async def drain_ana() -> None:
                    async for _ in ana:
                        pass

                with anyio.fail_after(WAIT_SECONDS * 2):  # a hang guard
                    async with anyio.create_task_group() as readers:
                        readers.start_soon(drain_ana)
                        readers.start_soon(read_bob)
                        for n in range(POSTS):
                            await ana.send(json.dumps({"type": "post", "text": TEXT}))
                            if n % 100 == 0:
                                peak = max(peak, resident_mb(group))
                                # bob keeps up (he is the healthy reader) even when this
                                # process is short of CPU: at most 100 posts behind
                                while received < n - 100:
                                    await anyio.sleep(0.01)
                        while received < POSTS:
                            await anyio.sleep(0.05)
                        readers.cancel_scope.cancel()
                assert ana.close_code is None, (received, ana.close_code, ana.close_reason)

        try:
            anyio.run(room)
        except BaseException:
            print(server.output())
            raise
        finally:
            gone = closed_by_server(slow)
            slow.close()
        peak = max(peak, resident_mb(group))
        print(
            f"chat with a member that never reads: {received}/{POSTS} posts delivered, "
            f"server RSS {before:.0f} -> peak {peak:.0f} MiB"
        )
        assert received == POSTS
        assert gone
        assert peak - before < RSS_BOUND_MB
