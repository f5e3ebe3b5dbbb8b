"""The request scenarios every benchmark sends, and the answers every app must give.

A scenario is one request shape against an app wired with ``n_routes`` filler routes.
Scenarios that exercise the filler routes ask for the last one registered, so a router
that scans its routes in order pays for all of them.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec

from benchmarks.apps.suite import AUTHORIZATION, INFO, SUBJECT

ITEM_ID = 42
LIMIT = 5
POST_BODY = b'{"id":7,"name":"widget","limit":3}'
LIST_LENGTH = 1000  # items in the GET /list answer
BULK_BYTES = 1_000_000  # the POST /bulk body stays just under this (jero's default limit is 1 MiB)


def list_item(i: int) -> dict[str, Any]:
    """Item ``i`` of the GET /list answer; every app (Go and Bun too) builds the same."""
    return {"id": i, "name": f"item-{i}", "limit": i % 10}


def compact_json(value: Any) -> bytes:
    """The exact body every app must answer: msgspec's compact JSON, keys in field order."""
    return json.dumps(value, separators=(",", ":")).encode()


def bulk_body(max_bytes: int = BULK_BYTES) -> tuple[bytes, int, int]:
    """``{"items":[...]}`` of list items filling ``max_bytes``: (body, count, sum of ids)."""
    parts: list[bytes] = []
    size = len(b'{"items":[]}')
    while True:
        part = compact_json(list_item(len(parts)))
        if size + len(part) + 1 > max_bytes:
            break
        parts.append(part)
        size += len(part) + 1
    body = b'{"items":[' + b",".join(parts) + b"]}"
    return body, len(parts), sum(range(len(parts)))


@dataclass(frozen=True)
class Scenario:
    name: str
    n_routes: int
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    status: int = 200
    expected: Any = field(default_factory=dict[str, Any])
    # The 0-route scenario this one is compared with (same request shape), if any.
    baseline: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Request headers besides Content-Type (a JSON body's)."""

    @property
    def target(self) -> str:
        """Path plus query string, as a client would request it."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def expected_body(self) -> bytes:
        return compact_json(self.expected)


def ping(n_routes: int = 0) -> Scenario:
    name = "ping" if n_routes == 0 else f"ping @{n_routes} routes"
    return Scenario(
        name=name,
        n_routes=n_routes,
        method="GET",
        path="/ping",
        expected={"message": "pong"},
        baseline="ping" if n_routes else None,
    )


def path_query(n_routes: int = 0) -> Scenario:
    if n_routes == 0:
        name, path = "path+query", f"/items/{ITEM_ID}"
    else:
        name, path = f"path+query @{n_routes} routes", f"/r{n_routes - 1}/items/{ITEM_ID}"
    return Scenario(
        name=name,
        n_routes=n_routes,
        method="GET",
        path=path,
        query=f"limit={LIMIT}",
        expected={"id": ITEM_ID, "name": "item", "limit": LIMIT},
        baseline="path+query" if n_routes else None,
    )


def post_json() -> Scenario:
    return Scenario(
        name="post json",
        n_routes=0,
        method="POST",
        path="/items",
        body=POST_BODY,
        status=201,
        expected={"id": 7, "name": "widget", "limit": 3},
    )


def item_list() -> Scenario:
    """GET /list: 1,000 Structs encoded per request; the encoder's work dominates."""
    return Scenario(
        name="list 1000",
        n_routes=0,
        method="GET",
        path="/list",
        expected=[list_item(i) for i in range(LIST_LENGTH)],
    )


def bulk_post() -> Scenario:
    """POST /bulk: a ~1 MB JSON body decoded and validated, answered 201 with a summary."""
    body, count, id_sum = bulk_body()
    return Scenario(
        name="post 1MB",
        n_routes=0,
        method="POST",
        path="/bulk",
        body=body,
        status=201,
        expected={"count": count, "id_sum": id_sum},
    )


def default_scenarios(route_counts: list[int]) -> list[Scenario]:
    """The in-process table: base rows, path+query per route count, ping @1000."""
    rows = [ping(), path_query(), post_json()]
    rows += [path_query(n) for n in route_counts if n > 0]
    if 1000 in route_counts:
        rows.append(ping(1000))
    return rows


def info() -> Scenario:
    """GET /info: a medium JSON document and a fresh UUID4 header (`apps/suite.py`)."""
    return Scenario(
        name="info",
        n_routes=0,
        method="GET",
        path="/info",
        expected=msgspec.to_builtins(INFO),
    )


MOVIE_BODY = b'{"title":"Heat","year":1995,"genres":["crime","drama"]}'


def jwt_post() -> Scenario:
    """POST /movies with a bearer JWT, verified, the body decoded, 201 (`apps/suite.py`)."""
    return Scenario(
        name="jwt post",
        n_routes=0,
        method="POST",
        path="/movies",
        body=MOVIE_BODY,
        status=201,
        expected={
            "id": 1, "title": "Heat", "year": 1995, "genres": ["crime", "drama"], "owner": SUBJECT
        },
        headers=(("Authorization", AUTHORIZATION),),
    )  # fmt: skip


def jwt_db() -> Scenario:
    """GET /movies/1 with a bearer JWT: one PostgreSQL row (`apps/suite.py`)."""
    return Scenario(
        name="jwt+db",
        n_routes=0,
        method="GET",
        path="/movies/1",
        expected={"id": 1, "title": "Heat", "year": 1995},
        headers=(("Authorization", AUTHORIZATION),),
    )
