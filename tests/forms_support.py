"""Helpers for the form tests: hand-built multipart bodies and raw ASGI requests whose
`receive` plays given messages (so a client can vanish mid-upload)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import anyio

from jero._asgi import ASGIApp, Message
from tests.asgi_driver import Exchange, http_scope

BOUNDARY = "test-boundary-7MA4YWxk"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def part(
    name: str,
    data: bytes | str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """One encoded part, its opening delimiter included."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [f"--{BOUNDARY}", f"Content-Disposition: {disposition}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{key}: {value}" for key, value in headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (data.encode() if isinstance(data, str) else data) + b"\r\n"


def body(*parts: bytes) -> bytes:
    """Parts followed by the closing delimiter."""
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def chunked(data: bytes, size: int) -> list[Message]:
    """`data` as `http.request` messages of `size` bytes, the last one final."""
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [
        {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
        for index, piece in enumerate(pieces)
    ]


async def aplay(
    app: ASGIApp, path: str, messages: Sequence[Message], content_type: str
) -> Exchange:
    """Lifespan startup, one POST whose `receive` returns `messages` and then
    `http.disconnect` forever, lifespan shutdown."""
    to_app_send, to_app_receive = anyio.create_memory_object_stream[Message](math.inf)
    from_app_send, from_app_receive = anyio.create_memory_object_stream[Message](math.inf)
    queue = list(messages)
    sent: list[Message] = []
    calls = 0

    async def receive() -> Message:
        nonlocal calls
        calls += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def step(kind: str) -> None:
        await to_app_send.send({"type": kind})
        reply = await from_app_receive.receive()
        assert reply["type"] == f"{kind}.complete", reply

    scope = http_scope("POST", path, headers=[(b"content-type", content_type.encode())])
    lifespan: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    async with anyio.create_task_group() as group:
        group.start_soon(app, lifespan, to_app_receive.receive, from_app_send.send)
        await step("lifespan.startup")
        await app(scope, receive, send)
        await step("lifespan.shutdown")
    return Exchange(sent, calls)


def play(
    app: ASGIApp, path: str, messages: Sequence[Message], content_type: str = CONTENT_TYPE
) -> Exchange:
    return anyio.run(aplay, app, path, messages, content_type)
