"""The request scenarios every benchmark sends, and the answers every app must give.

A scenario is one request shape against an app wired with ``n_routes`` filler routes.
Scenarios that exercise the filler routes ask for the last one registered, so a router
that scans its routes in order pays for all of them.
"""

from dataclasses import dataclass, field
from typing import Any

ITEM_ID = 42
LIMIT = 5
POST_BODY = b'{"id":7,"name":"widget","limit":3}'


@dataclass(frozen=True)
class Scenario:
    name: str
    n_routes: int
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    status: int = 200
    expected: dict[str, Any] = field(default_factory=dict[str, Any])
    # The 0-route scenario this one is compared with (same request shape), if any.
    baseline: str | None = None

    @property
    def target(self) -> str:
        """Path plus query string, as a client would request it."""
        return f"{self.path}?{self.query}" if self.query else self.path


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


def default_scenarios(route_counts: list[int]) -> list[Scenario]:
    """The SPEC section 9 table: base rows, path+query per route count, ping @1000."""
    rows = [ping(), path_query(), post_json()]
    rows += [path_query(n) for n in route_counts if n > 0]
    if 1000 in route_counts:
        rows.append(ping(1000))
    return rows
