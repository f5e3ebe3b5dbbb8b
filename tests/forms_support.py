"""Helpers for the form tests: hand-built multipart bodies and raw ASGI requests whose
`receive` plays given messages (so a client can vanish mid-upload)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import anyio

from jero._asgi import ASGIApp, Message
from tests.asgi_driver import Exchange, aplay, http_scope, request_messages

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
    return request_messages([data[i : i + size] for i in range(0, len(data), size)] or [b""])


def play(
    app: ASGIApp, path: str, messages: Sequence[Message], content_type: str = CONTENT_TYPE
) -> Exchange:
    """Lifespan startup, one POST whose `receive` returns `messages` and then
    `http.disconnect` forever, lifespan shutdown."""
    scope = http_scope("POST", path, headers=[(b"content-type", content_type.encode())])
    return anyio.run(aplay, app, scope, messages)
