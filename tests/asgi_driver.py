"""Drive an ASGI app directly, bypassing httpx, to send what a client library would refuse.

`call(app, method, path, ...)` runs lifespan startup, one request whose body arrives as the
given chunks (each its own `http.request` message), and lifespan shutdown, and returns
every message the app sent plus how many times it called `receive`. `aplay` does the same
for a scope and `receive` messages of the caller's own; `running(app)` is the lifespan
alone, around a block.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from functools import partial
from typing import Any

import anyio
import anyio.abc

from jero._asgi import ASGIApp, Message


@dataclasses.dataclass
class Exchange:
    messages: list[Message]
    receive_calls: int

    @property
    def start(self) -> Message:
        return self.messages[0]

    @property
    def status(self) -> int:
        return self.start["status"]

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.start["headers"])

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    def assert_well_formed(self, *, head: bool = False) -> None:
        """Exactly one start, then body messages ending with more_body False, and a
        content-length equal to the body (absent only for 204/304; a HEAD answer has
        no body and the content-length its GET would have)."""
        kinds = [m["type"] for m in self.messages]
        assert kinds[0] == "http.response.start", kinds
        assert kinds.count("http.response.start") == 1, kinds
        assert all(k == "http.response.body" for k in kinds[1:]), kinds
        assert len(kinds) >= 2, kinds
        assert not self.messages[-1].get("more_body", False)
        assert all(m.get("more_body", False) for m in self.messages[1:-1])
        names = [k for k, _ in self.headers]
        assert all(k == k.lower() for k in names), names
        length = self.header(b"content-length")
        if self.status in (204, 304):
            assert length is None
            assert self.body == b""
        elif head:
            assert names.count(b"content-length") == 1, names
            assert self.body == b""
            assert length is not None
            assert length.isdigit()
        else:
            assert names.count(b"content-length") == 1, names
            assert length == str(len(self.body)).encode(), (length, len(self.body))

    def problem(self) -> dict[str, Any]:
        assert self.header(b"content-type") == b"application/problem+json"
        data = json.loads(self.body)
        assert isinstance(data["type"], str)
        assert isinstance(data["title"], str)
        assert data["status"] == self.status
        return data


def http_scope(
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    root_path: str = "",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "root_path": root_path,
        "query_string": query,
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


def request_messages(chunks: Sequence[bytes]) -> list[Message]:
    """Each chunk its own `http.request` message, the last one final."""
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[None]:
    """Lifespan startup before the block, lifespan shutdown after it."""
    to_app_send, to_app_receive = anyio.create_memory_object_stream[Message](math.inf)
    from_app_send, from_app_receive = anyio.create_memory_object_stream[Message](math.inf)

    async def step(kind: str) -> None:
        await to_app_send.send({"type": kind})
        reply = await from_app_receive.receive()
        assert reply["type"] == f"{kind}.complete", reply

    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    async with anyio.create_task_group() as group:
        group.start_soon(app, lifespan, to_app_receive.receive, from_app_send.send)
        await step("lifespan.startup")
        yield
        await step("lifespan.shutdown")


async def aplay(
    app: ASGIApp, scope: dict[str, Any], messages: Sequence[Message], *, lifespan: bool = True
) -> Exchange:
    """One request whose `receive` returns `messages` and then `http.disconnect` forever,
    between lifespan startup and shutdown (`lifespan=False`: to an app never started)."""
    queue = list(messages)
    sent: list[Message] = []
    calls = 0

    async def receive() -> Message:
        nonlocal calls
        calls += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async with running(app) if lifespan else nullcontext():
        await app(scope, receive, send)
    return Exchange(sent, calls)


def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    chunks: Sequence[bytes] = (b"",),
    root_path: str = "",
    lifespan: bool = True,
) -> Exchange:
    """`aplay` of one request whose body arrives as `chunks`."""
    scope = http_scope(method, path, query=query, headers=headers, root_path=root_path)
    return anyio.run(partial(aplay, app, scope, request_messages(chunks), lifespan=lifespan))
