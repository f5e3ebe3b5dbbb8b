"""Protection benchmark: µs/request of a rate-limited route, in-process (no socket).

One jero app serves the same tiny GET handler on several routes:

- ``no limit``: no protection layer (what a route wired without one costs);
- ``limit, memory``: `RateLimit` on a `MemoryStore`;
- ``limit, redis``: `RateLimit` on a `RedisStore` (a throwaway local redis-server;
  the row is skipped with the reason when none can start);
- ``proxies+hosts+headers``: `TrustedProxies`, `TrustedHosts` and `SecurityHeaders`.

With Redis, a last line gives the bare round trip of a redis-py `GET` on the same
server, measured in the same run: the floor of any limit shared through Redis.

The limits are far above the request rate, so every answer is a 200 (checked). Rounds
alternate between routes; the best round counts. Loops are bounded by a request count
and a time budget.

Run from the repository root: ``uv run python -m benchmarks.protection --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any

from msgspec import Struct

from benchmarks._asgi import Lifespan, call, request_scope
from jero import (
    BaseApp,
    Endpoint,
    MemoryStore,
    RateLimit,
    RedisStore,
    SecurityHeaders,
    TrustedHosts,
    TrustedProxies,
)

ROUTES = ("no limit", "limit, memory", "limit, redis", "proxies+hosts+headers")
PATHS = {
    "no limit": "/free",
    "limit, memory": "/memory",
    "limit, redis": "/redis",
    "proxies+hosts+headers": "/guarded",
}


class Pong(Struct):
    ok: bool


def endpoint(path: str) -> Endpoint:
    """The same GET handler at `path`."""

    class Ping(Endpoint, path=path):
        async def get(self) -> Pong:
            return Pong(True)

    return Ping()


def build(redis_url: str | None) -> BaseApp:
    huge = 10_000_000  # per second: never reached, every request is admitted

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(endpoint("/free"))
            memory = RateLimit(huge, 1, store=MemoryStore())
            self._include_endpoint(endpoint("/memory"), middleware=[memory])
            if redis_url is not None:
                store = await self._aenter(RedisStore.from_url(redis_url))
                limit = RateLimit(huge, 1, store=store)
                self._include_endpoint(endpoint("/redis"), middleware=[limit])
            guarded = [
                TrustedProxies(["127.0.0.1"]),
                TrustedHosts(["127.0.0.1"]),
                SecurityHeaders(),
            ]
            self._include_endpoint(endpoint("/guarded"), middleware=guarded)

    return App()


@contextlib.contextmanager
def maybe_redis() -> Iterator[tuple[str | None, str]]:
    """A local Redis server's URL, or None and why not."""
    try:
        from tests.redis_server import RedisUnavailable, redis_server
    except ImportError as error:
        yield None, f"tests.redis_server not importable ({error})"
        return
    try:
        with redis_server() as server:
            yield server.url, ""
    except RedisUnavailable as error:
        yield None, str(error)


async def measure(app: Any, state: dict[str, Any], scope: dict[str, Any], args: Any) -> float:
    deadline = time.perf_counter() + args.budget
    done = 0
    start = time.perf_counter()
    while done < args.requests and time.perf_counter() < deadline:
        recorder = await call(app, scope, state, b"")
        if recorder.status != 200:
            raise SystemExit(f"{scope['path']} answered {recorder.status}: {recorder.body!r}")
        done += 1
    return (time.perf_counter() - start) / done * 1e6


async def run(args: argparse.Namespace) -> int:
    floor = 0.0
    with maybe_redis() as (redis_url, why):
        app = build(redis_url)
        lifespan = Lifespan(app)
        await lifespan.startup()
        try:
            headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"jero-bench")]
            routes = [r for r in ROUTES if redis_url is not None or r != "limit, redis"]
            scopes = {r: request_scope("GET", PATHS[r], headers, b"") for r in routes}
            best: dict[str, float] = {}
            for round_no in range(args.rounds):
                shift = round_no % len(routes)
                for route in routes[shift:] + routes[:shift]:
                    us = await measure(app, lifespan.state, scopes[route], args)
                    best[route] = min(us, best.get(route, us))
            if redis_url is not None:
                floor = await redis_floor(redis_url, args)
        finally:
            await lifespan.shutdown()
    free = best["no limit"]
    print(f"{'route':<24} {'us/req':>8} {'added us':>9}")
    for route in ROUTES:
        if route not in best:
            print(f"{route:<24} {'-':>8} {'-':>9}  (skipped: {why})")
            continue
        added = best[route] - free
        print(f"{route:<24} {best[route]:8.2f} {added:9.2f}")
    if redis_url is not None:
        print(f"{'(redis GET round trip)':<24} {floor:8.2f}")
    return 0


async def redis_floor(url: str, args: argparse.Namespace) -> float:
    """µs of one bare `GET` through redis-py's asyncio client, best of the rounds."""
    store = RedisStore.from_url(url)
    try:
        best = float("inf")
        for _ in range(args.rounds):
            count = min(args.requests, 2000)
            start = time.perf_counter()
            for _ in range(count):
                await store.client.get("floor")
            best = min(best, (time.perf_counter() - start) / count * 1e6)
        return best
    finally:
        await store.aclose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="per route and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per route and round")
    parser.add_argument("--quick", action="store_true", help="a smoke-test size run")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.rounds, args.budget = 300, 2, 2.0
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
