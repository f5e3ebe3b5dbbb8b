"""Without the optional extras, jero imports and serves; asking for what needs one fails
the wiring with the extra to install."""

from __future__ import annotations

import sys

import pytest

import jero._telemetry.prometheus as prometheus_module
from jero import AccessLog, BaseApp, Endpoint, Metrics, RouteOnScope, Tracing, WiringError
from jero.testing import TestClient


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


@pytest.fixture
def no_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.setattr(prometheus_module, "_metrics", None)


@pytest.mark.parametrize(
    ("include", "message"),
    [
        (lambda app: app._include_middleware(Tracing()), "Tracing needs the 'otel' extra"),
        (lambda app: app._include_middleware(Metrics()), "needs the 'otel' extra"),
        (
            lambda app: app._include_middleware(Metrics(opentelemetry=False, prometheus=True)),
            "needs the 'prometheus' extra",
        ),
        (lambda app: app._include_prometheus(), "needs the 'prometheus' extra"),
        (
            lambda app: app._include_middleware(RouteOnScope(current_span=True)),
            "needs the 'otel' extra",
        ),
    ],
)
@pytest.mark.usefixtures("no_extras")
def test_what_needs_an_extra_names_it(include: object, message: str) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            include(self)  # type: ignore[operator]
            self._include_endpoint(PingEndpoint())

    with pytest.raises(WiringError, match=message), TestClient(App()):
        pass


@pytest.mark.usefixtures("no_extras")
def test_the_rest_needs_no_extra() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(AccessLog(), RouteOnScope())
            self._include_endpoint(PingEndpoint())
            self._include_health()

    with TestClient(App()) as client:
        assert client.get("/ping").text == "pong"
        assert client.get("/readyz").status_code == 200
