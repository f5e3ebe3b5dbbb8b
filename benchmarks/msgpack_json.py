"""MessagePack against JSON for a 1,000-item list, both ways, in-process.

One jero app with `msgpack=True` answers `GET /items` (the list encoded) and takes
`POST /items` (the list decoded, answered 204), each run once as JSON and once as
MessagePack. Every answer is checked; rounds alternate; the best round counts. Prints
us/request, body bytes, and MessagePack's time as a ratio of JSON's.

Run from the repository root: ``uv run python -m benchmarks.msgpack_json --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import msgspec

from benchmarks._asgi import BenchmarkError, Lifespan, call, request_scope
from jero import BaseApp, Endpoint, NoContent

ITEMS = 1000


class Item(msgspec.Struct):
    id: int
    name: str
    price: float
    tags: list[str]
    in_stock: bool


CATALOG = [Item(i, f"item-{i}", i * 1.25, ["a", "b"], i % 2 == 0) for i in range(ITEMS)]


class ItemsEndpoint(Endpoint, path="/items"):
    async def get(self) -> list[Item]:
        return CATALOG

    async def post(self, json: list[Item]) -> NoContent:
        if len(json) != ITEMS:
            raise ValueError("lost items")
        return NoContent()


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(ItemsEndpoint())


CODECS = {
    "json": (b"application/json", msgspec.json.encode),
    "msgpack": (b"application/msgpack", msgspec.msgpack.encode),
}


def scenarios() -> dict[str, tuple[dict[str, Any], bytes, int]]:
    """Name → (scope, request body, expected status)."""
    out: dict[str, tuple[dict[str, Any], bytes, int]] = {}
    for codec, (media, encode) in CODECS.items():
        base = [(b"host", b"127.0.0.1"), (b"accept", media)]
        out[f"GET 1,000 items ({codec})"] = (request_scope("GET", "/items", base), b"", 200)
        body = encode(CATALOG)
        headers = [*base, (b"content-type", media), (b"content-length", str(len(body)).encode())]
        out[f"POST 1,000 items ({codec})"] = (request_scope("POST", "/items", headers), body, 204)
    return out


async def run(requests: int, rounds: int) -> None:
    app = App(msgpack=True)
    lifespan = Lifespan(app)
    await lifespan.startup()
    table = scenarios()
    best: dict[str, float] = {}
    sizes: dict[str, int] = {}
    try:
        for name, (scope, body, status) in table.items():
            answer = await call(app, scope, lifespan.state, body)
            if answer.status != status:
                raise BenchmarkError(f"{name}: status {answer.status}, body {answer.body[:200]!r}")
            sizes[name] = len(body) or len(answer.body)
        for _ in range(rounds):
            for name, (scope, body, _status) in table.items():
                start = time.perf_counter()
                for _ in range(requests):
                    await call(app, scope, lifespan.state, body)
                elapsed = (time.perf_counter() - start) / requests * 1e6
                best[name] = min(best.get(name, elapsed), elapsed)
    finally:
        await lifespan.shutdown()
    print(f"{'scenario':28} {'us/request':>11} {'body bytes':>11} {'vs JSON':>8}")
    for name in table:
        json_name = name.replace("(msgpack)", "(json)")
        ratio = best[name] / best[json_name]
        print(f"{name:28} {best[name]:11.1f} {sizes[name]:11,} {ratio:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.rounds))


if __name__ == "__main__":
    main()
