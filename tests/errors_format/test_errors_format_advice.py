"""Advice: a misspelled wiring hook, and raising the abstract `HTTPError` itself."""

from __future__ import annotations

import pytest

from jero import BaseApp, Endpoint, HTTPError, WiringError
from jero.testing import TestClient


class Ping(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


@pytest.mark.parametrize("name", ["wire", "startup", "setup"])
def test_a_public_hook_without_wire_fails_the_startup(name: str) -> None:
    async def hook(self: BaseApp) -> None:
        pass

    app_type = type("App", (BaseApp,), {name: hook})
    with (
        pytest.raises(
            WiringError, match=f"App defines `{name}` but not `_wire`.*did you mean `_wire`"
        ),
        TestClient(app_type()),
    ):
        pass


def test_an_app_with_wire_may_have_a_setup_helper() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self.setup()

        def setup(self) -> None:
            self._include_endpoint(Ping())

    with TestClient(App()) as client:
        assert client.get("/ping").text == "pong"


def test_an_inherited_wire_counts() -> None:
    class Base(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Ping())

    class App(Base):
        async def startup(self) -> None:
            pass

    with TestClient(App()) as client:
        assert client.get("/ping").status_code == 200


def test_an_app_with_neither_starts_empty() -> None:
    with TestClient(BaseApp()) as client:
        assert client.get("/ping").status_code == 404


def test_raising_http_error_itself_is_refused() -> None:
    with pytest.raises(TypeError, match="HTTPError itself has no type or status"):
        HTTPError()
