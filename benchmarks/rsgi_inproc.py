"""In-process RSGI benchmark: microseconds per request on granian's native interface,
without a socket.

granian's scope and protocol objects live in Rust; here small Python stand-ins play
them (attributes, `headers.get` / `items`, `response_bytes`, and the body as one chunk),
so what is measured is what the app does per request in Python: the raw RSGI app
(`benchmarks/apps/raw_rsgi.py`, the RSGI ceiling) against jero's `__rsgi__`, beside the
same two apps on ASGI through `benchmarks/_asgi.py` for reference. The stand-ins cost
the same for both RSGI apps; over HTTP their Rust originals are what `benchmarks/http.py`
measures. Every answer is checked first; rounds alternate between apps, the best counts,
and every loop is bounded by a request count and a time budget.

Run from the repository root: ``uv run --group bench python -m benchmarks.rsgi_inproc``.
"""

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from benchmarks._asgi import BenchmarkError, Lifespan, call, http_scope
from benchmarks.apps import jero_app, raw, raw_rsgi
from benchmarks.report import print_table
from benchmarks.scenarios import Scenario, path_query, ping, post_json

type Cell = float | str
type Serve = Callable[[], Awaitable[tuple[int, bytes]]]


class Headers:
    """granian's request headers: lower-case names, text values."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self._items:
            if name == key:
                return value
        return default

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)


class Scope:
    """granian's RSGI HTTP scope, as the attributes an app reads."""

    def __init__(self, scenario: Scenario) -> None:
        self.proto = "http"
        self.http_version = "1.1"
        self.scheme = "http"
        self.method = scenario.method
        self.path = scenario.path
        self.query_string = scenario.query
        self.client = "127.0.0.1:50123"
        self.server = "127.0.0.1:8000"
        # The headers the ASGI driver sends, as granian's text.
        asgi_headers = http_scope(scenario)["headers"]
        self.headers = Headers([(name.decode(), value.decode()) for name, value in asgi_headers])


class _Chunks:
    __slots__ = ("_body",)

    def __init__(self, body: bytes | None) -> None:
        self._body = body

    async def __anext__(self) -> bytes:
        body = self._body
        if body is None:
            raise StopAsyncIteration
        self._body = None
        return body


class Protocol:
    """granian's HTTP protocol: the body in one chunk (or whole), one recorded answer."""

    __slots__ = ("_body", "body", "status")

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.status = 0
        self.body = b""

    async def __call__(self) -> bytes:
        return self._body

    def __aiter__(self) -> _Chunks:
        return _Chunks(self._body or None)

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.body = body


def rsgi_serve(app: Any, scenario: Scenario) -> Serve:
    rsgi = app.__rsgi__
    scope, body = Scope(scenario), scenario.body

    async def serve() -> tuple[int, bytes]:
        protocol = Protocol(body)
        await rsgi(scope, protocol)
        return protocol.status, protocol.body

    return serve


def asgi_serve(app: Any, lifespan: Lifespan, scenario: Scenario) -> Serve:
    scope, body = http_scope(scenario), scenario.body

    async def serve() -> tuple[int, bytes]:
        recorder = await call(app, scope, lifespan.state, body)
        return recorder.status, recorder.body

    return serve


async def measure(serve: Serve, requests: int, budget: float) -> float:
    """us/request over up to `requests` calls, stopping early after `budget` s."""
    done = 0
    start = time.perf_counter()
    deadline = start + budget
    while done < requests:
        for _ in range(min(100, requests - done)):
            await serve()
        done += min(100, requests - done)
        if time.perf_counter() > deadline:
            break
    return (time.perf_counter() - start) / done * 1e6


async def check(name: str, serve: Serve, scenario: Scenario) -> None:
    status, body = await serve()
    if status != scenario.status or msgspec.json.decode(body) != scenario.expected:
        raise BenchmarkError(f"{name} / {scenario.name}: status {status}, body {body!r}")


async def run(args: argparse.Namespace) -> None:
    scenarios = [ping(), path_query(), post_json()]
    jero_rsgi = jero_app.build(0)
    raw_app, jero_asgi = raw.build(0), jero_app.build(0)
    lifespans = [Lifespan(jero_rsgi), Lifespan(raw_app), Lifespan(jero_asgi)]
    for lifespan in lifespans:
        await lifespan.startup()
    try:
        serves: dict[str, dict[str, Serve]] = {
            s.name: {
                "raw": asgi_serve(raw_app, lifespans[1], s),
                "jero": asgi_serve(jero_asgi, lifespans[2], s),
                "raw-rsgi": rsgi_serve(raw_rsgi.build(0), s),
                "jero-rsgi": rsgi_serve(jero_rsgi, s),
            }
            for s in scenarios
        }
        results: dict[str, dict[str, Cell]] = {s.name: {} for s in scenarios}
        for s in scenarios:
            for name, serve in serves[s.name].items():
                await check(name, serve, s)
                await measure(serve, args.warmup, args.budget)
        for _ in range(args.rounds):
            for s in scenarios:
                for name, serve in serves[s.name].items():
                    took = await measure(serve, args.requests, args.budget)
                    best = results[s.name].get(name)
                    if not isinstance(best, float) or took < best:
                        results[s.name][name] = took
    finally:
        for lifespan in lifespans:
            await lifespan.shutdown()
    print(
        f"in-process, us/request, best of {args.rounds} round(s) of up to {args.requests} "
        "requests; (x) = ratio to raw (ASGI); the RSGI columns run on Python stand-ins "
        "for granian's objects"
    )
    print_table(results, ["raw", "jero", "raw-rsgi", "jero-rsgi"])
    for s in scenarios:
        row = results[s.name]
        jero_cell, raw_cell = row["jero-rsgi"], row["raw-rsgi"]
        assert isinstance(jero_cell, float) and isinstance(raw_cell, float)
        print(f"jero-rsgi / raw-rsgi, {s.name}: {jero_cell / raw_cell:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds, best counts")
    parser.add_argument("--warmup", type=int, default=1_000, help="untimed requests first")
    parser.add_argument("--budget", type=float, default=2.0, help="max seconds per loop")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
