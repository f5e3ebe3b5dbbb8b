"""Stand-ins for granian's RSGI scope and HTTP protocol objects: the calls jero makes on
them, recorded, and a body served chunk by chunk, so the RSGI path runs without a server."""

from __future__ import annotations

import asyncio
from typing import Any


class Headers:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def get(self, key: str, default: str | None = None) -> str | None:
        return next((value for name, value in self._items if name == key), default)


class FakeScope:
    def __init__(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
        proto: str = "http",
        http_version: str = "1.1",
    ) -> None:
        self.proto = proto
        self.http_version = http_version
        self.scheme = "http"
        self.method = method
        self.path = path
        self.query_string = query
        self.client = "[::1]:50123"
        self.server = "127.0.0.1:8000"
        self.headers = Headers(headers or [])


class Closed(RuntimeError):
    """What granian raises once the connection is gone (RSGIProtocolClosed)."""


class Stream:
    def __init__(self, fail_after: int | None) -> None:
        self.chunks: list[bytes] = []
        self.fail_after = fail_after

    async def send_bytes(self, data: bytes) -> None:
        if self.fail_after is not None and len(self.chunks) >= self.fail_after:
            raise Closed("RSGI transport is closed")
        self.chunks.append(data)


class Body:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def __anext__(self) -> bytes:
        if not self.chunks:
            raise StopAsyncIteration
        return self.chunks.pop(0)


class Protocol:
    """granian's HTTP protocol: records the one response call, serves body chunks."""

    def __init__(self, body: list[bytes] | None = None, fail_after: int | None = None) -> None:
        self.body = Body(body if body is not None else [b""])
        self.calls: list[tuple[Any, ...]] = []
        self.stream: Stream | None = None
        self.fail_after = fail_after
        self.gone = asyncio.Event()

    def __aiter__(self) -> Body:
        return self.body

    async def client_disconnect(self) -> None:
        await self.gone.wait()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.calls.append(("bytes", status, headers, body))

    def response_file(self, status: int, headers: list[tuple[str, str]], file: str) -> None:
        self.calls.append(("file", status, headers, file))

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        self.calls.append(("stream", status, headers))
        self.stream = Stream(self.fail_after)
        return self.stream
