"""Health: liveness and readiness at the app's paths, following wiring, checks, drain
and shutdown."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from jero import BaseApp, Endpoint, Health, WiringError
from jero.testing import TestClient


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class Flags:
    def __init__(self) -> None:
        self.database = True
        self.cache_hangs = False

    async def check_database(self) -> bool:
        return self.database

    async def check_cache(self) -> None:
        if self.cache_hangs:
            await anyio.sleep(60)


def app_with(flags: Flags, found: list[Health], **options: Any) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(PingEndpoint())
            checks = {"database": flags.check_database, "cache": flags.check_cache}
            found.append(self._include_health(checks=checks, timeout=0.05, **options))

    return App()


def test_live_and_ready_after_wiring() -> None:
    found: list[Health] = []
    with TestClient(app_with(Flags(), found)) as client:
        live = client.get("/livez")
        ready = client.get("/readyz")
        head = client.head("/readyz")
        openapi_free = client.get("/ping")
    assert (live.status_code, live.json()) == (200, {"status": "alive"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["cache-control"] == "no-store"
    assert head.status_code == 200 and head.content == b""
    assert openapi_free.text == "pong"


def test_before_wiring_nothing_is_ready() -> None:
    app = app_with(Flags(), [])
    with TestClient(app, lifespan=False) as client:  # a server that skips lifespan
        assert client.get("/readyz").status_code == 503
        assert client.get("/livez").status_code == 503


def test_a_failing_or_hanging_check_makes_it_unready() -> None:
    flags = Flags()
    with TestClient(app_with(flags, [])) as client:
        flags.database = False
        assert client.get("/readyz").json() == {"status": "unavailable", "failed": ["database"]}
        flags.cache_hangs = True
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["failed"] == ["database", "cache"]
        assert client.get("/livez").status_code == 200  # alive all the same
        flags.database, flags.cache_hangs = True, False
        assert client.get("/readyz").status_code == 200


def test_drain_makes_it_unready_and_shutdown_too() -> None:
    found: list[Health] = []
    app = app_with(Flags(), found, live="/health/live", ready="/health/ready")
    with TestClient(app) as client:
        (health,) = found
        assert client.get("/health/ready").status_code == 200
        health.drain()
        drained = client.get("/health/ready")
        assert (drained.status_code, drained.json()) == (503, {"status": "draining"})
        assert client.get("/health/live").status_code == 200
    assert health.draining
    with TestClient(app) as client:  # a restart wires a new, ready Health
        assert client.get("/health/ready").status_code == 200


def test_shutdown_answers_503() -> None:
    app = app_with(Flags(), [])
    answers: list[int] = []

    async def main() -> None:
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        answers.append(await status_of(app, "/readyz"))

    anyio.run(main)
    assert answers == [503]


async def status_of(app: BaseApp, path: str) -> int:
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return statuses[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"live": None, "ready": None}, "both None"),
        ({"live": "/h", "ready": "/h"}, "both '/h'"),
        ({"timeout": 0}, "must be positive"),
    ],
)
def test_bad_declarations_fail_the_wiring(options: dict[str, Any], message: str) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_health(**options)

    with pytest.raises(WiringError, match=message), TestClient(App()):
        pass
