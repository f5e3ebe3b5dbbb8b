"""Error answers in-process: microseconds per request for jero's error paths, with the
default RFC 9457 problem details and with an app-level `ErrorFormat`.

Scenarios: an unknown path (404), a wrong method (405), malformed JSON (400), a body
that fails its schema (422, with field problems), and a handler raising an error with
params (404). Each app is called as an ASGI callable with prebuilt scopes, the best of
several bounded rounds counts. On a jero without `ErrorFormat` the format column is
left out, so the same script measures the default path before and after a change.

Run from the repository root: ``uv run python -m benchmarks.errors``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import msgspec

import jero
from benchmarks._asgi import Lifespan, call, request_scope

JSON = [(b"content-type", b"application/json")]


class Item(msgspec.Struct):
    name: str
    price: float


class ItemPath(msgspec.Struct):
    item_id: int


class Missing(msgspec.Struct):
    item_id: int


class ItemMissingError(
    jero.NotFoundError[Missing], type="item-missing", title="No item", detail="No item {item_id}"
):
    pass


class Items(jero.Resource, path="/items"):
    async def create(self, json: Item) -> Item:
        return json

    async def read_one(self, path: ItemPath) -> Item:
        raise ItemMissingError(Missing(path.item_id))


class App(jero.BaseApp):
    async def _wire(self) -> None:
        self._include_resource(Items())


SCENARIOS: list[tuple[str, str, str, bytes, int]] = [
    ("unknown path 404", "GET", "/nowhere", b"", 404),
    ("wrong method 405", "DELETE", "/items", b"", 405),
    ("malformed json 400", "POST", "/items", b"{", 400),
    ("schema 422", "POST", "/items", b'{"name": 1, "price": 2}', 422),
    ("raised w/ params 404", "GET", "/items/7", b"", 404),
]


def apps() -> dict[str, Any]:
    found: dict[str, Any] = {"problem+json": App()}
    error_format = getattr(jero, "ErrorFormat", None)
    if error_format is not None:

        class Body(msgspec.Struct):
            errors: dict[str, list[str]]

        class Format(error_format[Body]):  # type: ignore[misc, valid-type]
            def render(self, error: jero.HTTPError[Any]) -> Body:
                return Body({"body": [error.detail or error.title]})

        found["ErrorFormat"] = App(error_format=Format())
    return found


async def best(
    app: Any,
    state: dict[str, Any],
    scenario: tuple[str, str, str, bytes, int],
    args: argparse.Namespace,
) -> float:
    _, method, path, body, status = scenario
    headers = [(b"host", b"bench"), *(JSON if body else [])]
    scope = request_scope(method, path, headers)
    recorder = await call(app, scope, state, body)
    if recorder.status != status:
        raise SystemExit(f"{path}: expected {status}, got {recorder.status} {recorder.body!r}")
    results: list[float] = []
    for _ in range(args.rounds):
        deadline = time.perf_counter() + args.budget
        start = time.perf_counter()
        done = 0
        while done < args.requests and time.perf_counter() < deadline:
            await call(app, scope, state, body)
            done += 1
        results.append((time.perf_counter() - start) / done * 1e6)
    return min(results)


async def main(args: argparse.Namespace) -> None:
    found = apps()
    table: dict[str, dict[str, float]] = {}
    for name, app in found.items():
        lifespan = Lifespan(app)
        await lifespan.startup()
        try:
            table[name] = {s[0]: await best(app, lifespan.state, s, args) for s in SCENARIOS}
        finally:
            await lifespan.shutdown()
    print(f"in-process, us/request, best of {args.rounds} round(s) of up to {args.requests}")
    print(f"{'scenario':22}" + "".join(f"{name:>14}" for name in table))
    for scenario in SCENARIOS:
        print(f"{scenario[0]:22}" + "".join(f"{table[n][scenario[0]]:14.2f}" for n in table))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.errors", description=__doc__)
    parser.add_argument("--requests", type=int, default=5000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds, best counts")
    parser.add_argument("--budget", type=float, default=1.0, help="max seconds per round")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
