"""An NDJSON stream behind `Compression`, served by granian in test_compression_granian.py.

After its first line the stream waits (up to 10 s) for the file named by
$JERO_COMPRESSION_GATE to exist: the test creates it only once it has decoded that line,
so the line must have crossed the socket, compressed, while the stream was still open.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from msgspec import Struct

from jero import BaseApp, Compression, Endpoint, NDJSONStreamingResponse


class Line(Struct):
    n: int
    text: str


async def _lines() -> AsyncIterator[Line]:
    yield Line(0, "first")
    gate = Path(os.environ["JERO_COMPRESSION_GATE"])
    with anyio.move_on_after(10):
        while not gate.exists():
            await anyio.sleep(0.01)
    for n in range(1, 4):
        yield Line(n, "more")


class LinesEndpoint(Endpoint, path="/lines"):
    async def get(self) -> NDJSONStreamingResponse[Line]:
        return NDJSONStreamingResponse(stream=_lines())


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(LinesEndpoint(), middleware=[Compression()])


app = App()
