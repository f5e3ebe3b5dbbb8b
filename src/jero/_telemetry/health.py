"""Liveness and readiness answers, at the paths the app chooses.

Liveness says the process serves requests at all: 200 whenever the app answers. Readiness
says this instance should get traffic: 200 once wiring completed (before that, and from
the moment lifespan shutdown begins, the app answers every request 503, these included),
503 after `Health.drain()` (a load balancer stops sending new requests while the ones in
flight finish), and 503 while one of the app's checks fails or times out. Both are
hidden from the OpenAPI document, cheap (the bodies are prebuilt), answer HEAD too, and
are never cached.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextlib import contextmanager

import anyio
import msgspec

from .._errors import WiringError
from .._meta import EndpointMeta
from .._rendering.responses import BytesResponse
from .._routes import Endpoint

__all__ = ["Health", "HealthCheck", "health_endpoints"]

type HealthCheck = Callable[[], Awaitable[object]]
"""An async check: ready when it returns anything but False without raising."""

_JSON = "application/json"
_NO_STORE = {"cache-control": "no-store"}


def _answer(status: int, body: object) -> BytesResponse:
    return BytesResponse(
        msgspec.json.encode(body), media_type=_JSON, status_code=status, raw_headers=_NO_STORE
    )


_ALIVE = _answer(200, {"status": "alive"})
_READY = _answer(200, {"status": "ready"})
_DRAINING = _answer(503, {"status": "draining"})


class Health:
    """The readiness state of one app (what `_include_health` returns).

    `checks` maps a name to an async check (a database ping, say); readiness runs them
    all concurrently, each bounded by `timeout` seconds, on every probe.
    """

    def __init__(
        self, checks: Mapping[str, HealthCheck] | None = None, timeout: float = 2.0
    ) -> None:
        checks = dict(checks or {})
        for name, check in checks.items():
            if not callable(check):
                raise WiringError(f"_include_health: check {name!r} is not callable")
        if timeout <= 0:
            raise WiringError(f"_include_health: timeout={timeout!r} must be positive")
        self.checks = checks
        self.timeout = timeout
        self.draining = False

    def drain(self) -> None:
        """From now on readiness answers 503 (start of a graceful shutdown)."""
        self.draining = True

    async def failed(self) -> list[str]:
        """The names of the checks that fail now, in their declared order."""
        if not self.checks:
            return []
        results: dict[str, bool] = {}

        async def run(name: str, check: HealthCheck) -> None:
            ok = False
            with anyio.move_on_after(self.timeout):
                try:
                    ok = await check() is not False
                except Exception:
                    ok = False
            results[name] = ok

        async with anyio.create_task_group() as group:
            for name, check in self.checks.items():
                group.start_soon(run, name, check)
        return [name for name in self.checks if not results.get(name, False)]

    async def readiness(self) -> BytesResponse:
        if self.draining:
            return _DRAINING
        failed = await self.failed()
        if failed:
            return _answer(503, {"status": "unavailable", "failed": failed})
        return _READY

    @contextmanager
    def lifecycle(self) -> Generator[Health]:
        """Entered on the app's lifecycle: shutdown means draining."""
        try:
            yield self
        finally:
            self.draining = True


class _Liveness(Endpoint, meta=EndpointMeta(hidden=True)):
    async def get(self) -> BytesResponse:
        return _ALIVE


class _Readiness(Endpoint, meta=EndpointMeta(hidden=True)):
    def __init__(self, health: Health) -> None:
        self.health = health

    async def get(self) -> BytesResponse:
        return await self.health.readiness()


def health_endpoints(health: Health, live: str | None, ready: str | None) -> list[Endpoint]:
    """The hidden endpoints answering at `live` and `ready` (None: not served)."""
    if live is None and ready is None:
        raise WiringError("_include_health: live= and ready= are both None; serve one")
    if live is not None and live == ready:
        raise WiringError(f"_include_health: live= and ready= are both {live!r}")
    endpoints: list[Endpoint] = []
    if live is not None:
        endpoints.append(types.new_class("Liveness", (_Liveness,), {"path": live})())
    if ready is not None:
        endpoints.append(types.new_class("Readiness", (_Readiness,), {"path": ready})(health))
    return endpoints
