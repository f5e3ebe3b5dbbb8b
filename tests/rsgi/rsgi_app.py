"""Served by granian on RSGI in tests/rsgi/test_rsgi_server.py: forms and uploads, a
long stream, middleware of both kinds, a lifecycle service, a short body timeout.

The app writes lines to the file named by `JERO_RSGI_MARKER` (service opened and
closed, stream opened and torn down), so the tests see what ran inside the worker.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from msgspec import Struct

from jero import (
    ASGIApp,
    ASGIMiddleware,
    BaseApp,
    Endpoint,
    FilePart,
    Limits,
    Message,
    RawHeaders,
    Receive,
    Resource,
    RouteInfo,
    Scope,
    Send,
    SSEResponse,
)

BODY_TIMEOUT = 0.5


def mark(line: str) -> None:
    with open(os.environ["JERO_RSGI_MARKER"], "a") as marks:
        marks.write(line + "\n")


class Note(Struct):
    text: str


class NoteForm(Struct):
    text: str
    tags: list[str] = []


class UploadForm(Struct):
    title: str
    document: FilePart


class Stored(Struct):
    title: str
    filename: str | None
    size: int
    sha256: str


class ItemPath(Struct):
    item_id: str


class ItemParams(Struct):
    limit: int = 10


class Item(Struct):
    item_id: str
    limit: int
    tags: str


class NoteEndpoint(Endpoint, path="/notes"):
    async def post(self, json: Note) -> Note:
        return json


class FormEndpoint(Endpoint, path="/form"):
    async def post(self, form: NoteForm) -> NoteForm:
        return form


class UploadEndpoint(Endpoint, path="/upload"):
    async def post(self, form: UploadForm) -> Stored:
        digest = hashlib.sha256()
        async for chunk in form.document:
            digest.update(chunk)
        return Stored(form.title, form.document.filename, form.document.size, digest.hexdigest())


class ItemResource(Resource, path="/items"):
    async def read_one(self, path: ItemPath, params: ItemParams, raw_headers: RawHeaders) -> Item:
        return Item(path.item_id, params.limit, ",".join(raw_headers.getlist("x-tag")))


class Tick(Struct):
    n: int


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self) -> SSEResponse[Tick]:
        return SSEResponse(ticks())


async def ticks() -> AsyncIterator[Any]:
    mark("open ticks")
    try:
        n = 0
        while True:
            yield Tick(n)
            n += 1
            await anyio.sleep(0.01)
    finally:
        mark("teardown ticks")


class ServedBy:
    """A jero middleware: `x-served-by: <route name>` on every answer."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        header = (b"x-served-by", (route.name or "jero").encode())

        async def served_by(scope: Scope, receive: Receive, send: Send) -> None:
            async def with_header(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], header]}
                await send(message)

            await app(scope, receive, with_header)

        return served_by


class PlainASGI:
    """A plain ASGI middleware (`Cls(app)`), used through `ASGIMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"x-plain", b"yes")]}
            await send(message)

        await self.app(scope, receive, with_header)


@asynccontextmanager
async def service() -> AsyncIterator[str]:
    mark("service opened")
    try:
        yield "service"
    finally:
        mark("service closed")


class App(BaseApp):
    async def _wire(self) -> None:
        await self._aenter(service())
        self._include_middleware(ServedBy(), ASGIMiddleware(PlainASGI))
        self._include_endpoint(NoteEndpoint())
        self._include_endpoint(FormEndpoint())
        self._include_endpoint(UploadEndpoint())
        self._include_resource(ItemResource())
        self._include_endpoint(TicksEndpoint())


app = App(limits=Limits(body_timeout=BODY_TIMEOUT, max_form_size=8 * 1024 * 1024))
