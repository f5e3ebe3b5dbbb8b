"""Streaming memory: one NDJSON response of 1,000,000 small items, in-process.

A jero app answers `GET /numbers` with `NDJSONStreamingResponse[Number]` over a
one-yield generator (so the teardown path runs too). The app is called as a server
would call it, with a `send` that counts and drops every chunk: what stays in memory is
jero's, not a client's. Each size runs twice: once plain (time, items/s, peak RSS of
the process while streaming) and once under tracemalloc (peak of Python allocations
while streaming). A small and a large stream side by side show whether memory grows
with the length of the stream; the body size shows what buffering it would cost.

    uv run python -m benchmarks.stream_memory                  # 10,000 and 1,000,000 items
    uv run python -m benchmarks.stream_memory --items 1000,100000
"""

import argparse
import asyncio
import gc
import resource
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

from msgspec import Struct

from benchmarks._asgi import ASGIApp, BenchmarkError, Lifespan, Message, request_scope
from jero import BaseApp, Endpoint, NDJSONStreamingResponse


class Number(Struct):
    n: int


class Run:
    """One stream's bookkeeping: what was produced, what was sent, and when."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.produced = 0
        self.sent_items = 0
        self.sent_bytes = 0
        self.produced_when_first_sent = -1
        self.ended = False
        self.torn_down = False

    async def numbers(self) -> AsyncIterator[Number]:
        for n in range(self.count):
            self.produced += 1
            yield Number(n)

    async def managed(self) -> AsyncIterator[AsyncIterator[Number]]:
        try:
            yield self.numbers()
        finally:
            self.torn_down = True

    async def send(self, message: Message) -> None:
        if message["type"] != "http.response.body":
            return
        body: bytes = message.get("body", b"")
        if body:
            if self.sent_items == 0:
                self.produced_when_first_sent = self.produced
            self.sent_items += body.count(b"\n")
            self.sent_bytes += len(body)
        if not message.get("more_body", False):
            self.ended = True


def build(runs: list[Run]) -> BaseApp:
    class NumbersEndpoint(Endpoint, path="/numbers"):
        async def get(self) -> NDJSONStreamingResponse[Number]:
            return NDJSONStreamingResponse(runs[-1].managed())

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(NumbersEndpoint())

    return App()


async def stream_once(app: ASGIApp, run: Run) -> None:
    connected = asyncio.Event()  # never set: the client stays for the whole stream
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await connected.wait()
        return {"type": "http.disconnect"}

    scope = request_scope("GET", "/numbers", [(b"host", b"127.0.0.1:8000")])
    await app({**scope, "state": {}}, receive, run.send)
    if not (run.ended and run.torn_down and run.sent_items == run.count):
        raise BenchmarkError(
            f"stream of {run.count:,}: ended={run.ended} torn_down={run.torn_down} "
            f"sent {run.sent_items:,} items"
        )
    if run.count > 1 and run.produced_when_first_sent >= run.count:
        raise BenchmarkError("the first item was sent only after the last was produced")


def rss_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in KiB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB, lifetime peak


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current RSS (Linux >= 4.0); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def measure(count: int, *, traced: bool) -> dict[str, float]:
    runs: list[Run] = []
    app = build(runs)
    lifespan = Lifespan(app)
    await lifespan.startup()
    try:
        runs.append(Run(count))
        gc.collect()
        before = rss_kib("VmRSS")
        peak_reset = reset_peak_rss()
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        await stream_once(app, runs[-1])
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
        peak = rss_kib("VmHWM") if peak_reset else rss_kib("VmRSS")
    finally:
        await lifespan.shutdown()
    return {
        "seconds": seconds,
        "bytes": runs[-1].sent_bytes,
        "rss_before": before,
        "rss_peak": peak,
        "traced_peak": traced_peak,
    }


async def main(counts: list[int]) -> None:
    await measure(1000, traced=False)  # warm-up: first-use allocations are not the stream's
    print(
        f"{'items':>10}  {'body MiB':>8}  {'seconds':>7}  {'items/s':>9}  "
        f"{'RSS before':>10}  {'RSS peak':>9}  {'growth':>7}  {'tracemalloc peak':>16}"
    )
    for count in counts:
        plain = await measure(count, traced=False)
        traced = await measure(count, traced=True)
        growth = (plain["rss_peak"] - plain["rss_before"]) / 1024
        print(
            f"{count:>10,}  {plain['bytes'] / 2**20:>8.1f}  {plain['seconds']:>7.2f}  "
            f"{count / plain['seconds']:>9,.0f}  {plain['rss_before'] / 1024:>6.1f} MiB  "
            f"{plain['rss_peak'] / 1024:>5.1f} MiB  {growth:>+3.2f} MiB  "
            f"{traced['traced_peak'] / 1024:>12.1f} KiB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--items",
        default="10000,1000000",
        help="comma-separated stream lengths (default: 10000,1000000)",
    )
    arguments = parser.parse_args()
    asyncio.run(main([int(part) for part in arguments.items.split(",")]))
