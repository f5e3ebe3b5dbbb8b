"""An app for tests/servers/test_streaming_granian.py, served by a real granian process.

Every stream records its life in the file named by $JERO_STREAM_MARKER, one line per
step, so the test process can observe teardown that happens inside the server.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from msgspec import Struct

from jero import BaseApp, Endpoint, NDJSONStreamingResponse, SSEResponse


class Tick(Struct):
    n: int


class Health(Struct):
    ok: bool


def _mark(line: str) -> None:
    with Path(os.environ["JERO_STREAM_MARKER"]).open("a") as marker:
        marker.write(line + "\n")


async def _endless_ticks() -> AsyncIterator[Tick]:
    n = 0
    while True:  # ends when the framework stops pulling
        yield Tick(n)
        n += 1
        await anyio.sleep(0.005)


async def _ticks_then_wait() -> AsyncIterator[Tick]:
    yield Tick(0)
    await anyio.sleep_forever()


async def _ticks_then_fail() -> AsyncIterator[Tick]:
    yield Tick(0)
    yield Tick(1)
    raise RuntimeError("the tick source broke")


async def _tracked(name: str, items: AsyncIterator[Tick]) -> AsyncIterator[AsyncIterator[Tick]]:
    _mark(f"open {name}")
    try:
        yield items
    finally:
        await anyio.sleep(0.01)  # an awaiting teardown must still complete
        _mark(f"teardown {name}")


class HealthEndpoint(Endpoint, path="/health"):
    async def get(self) -> Health:
        return Health(ok=True)


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        return NDJSONStreamingResponse(_tracked("ticks", _endless_ticks()))


class WaitingEndpoint(Endpoint, path="/waiting"):
    async def get(self) -> SSEResponse[Tick]:
        return SSEResponse(_tracked("waiting", _ticks_then_wait()))


class BrokenEndpoint(Endpoint, path="/broken"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        return NDJSONStreamingResponse(_tracked("broken", _ticks_then_fail()))


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(HealthEndpoint())
        self._include_endpoint(TicksEndpoint())
        self._include_endpoint(WaitingEndpoint())
        self._include_endpoint(BrokenEndpoint())


app = App()
