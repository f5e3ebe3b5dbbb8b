"""Lifecycle: exit stacks, factories, wiring-only calls, 503 before wiring,
the async test client, and restarting an app."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
import msgspec
import pytest

from jero import BaseApp, BaseFactory, Endpoint, WiringError
from jero.testing import AsyncTestClient, TestClient
from tests.asgi_driver import call
from tests.routes_app import app_of


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Pong(msgspec.Struct):
    wired: int


class Ping(Endpoint, path="/ping"):
    def __init__(self, wired: int = 0) -> None:
        self.wired = wired

    async def get(self) -> Pong:
        return Pong(self.wired)


class Events:
    """Context managers, sync and async, that record when they enter and exit."""

    def __init__(self) -> None:
        self.log: list[str] = []

    @contextmanager
    def sync(self, name: str) -> Iterator[str]:
        self.log.append(f"enter {name}")
        try:
            yield name
        finally:
            self.log.append(f"exit {name}")

    @asynccontextmanager
    async def async_(self, name: str) -> AsyncIterator[str]:
        self.log.append(f"aenter {name}")
        try:
            yield name
        finally:
            self.log.append(f"aexit {name}")


# --- _enter / _aenter ---------------------------------------------------------------


def test_enter_and_aenter_close_in_exact_reverse_order_at_shutdown() -> None:
    events = Events()

    class App(BaseApp):
        async def _wire(self) -> None:
            assert self._enter(events.sync("a")) == "a"
            assert await self._aenter(events.async_("b")) == "b"
            self._enter(events.sync("c"))
            await self._aenter(events.async_("d"))
            self._include_endpoint(Ping())

    with TestClient(App()) as client:
        assert client.get("/ping").status_code == 200
        assert events.log == ["enter a", "aenter b", "enter c", "aenter d"]
    assert events.log[4:] == ["aexit d", "exit c", "aexit b", "exit a"]


def test_wire_failing_half_way_closes_what_was_entered() -> None:
    events = Events()

    class App(BaseApp):
        async def _wire(self) -> None:
            self._enter(events.sync("a"))
            await self._aenter(events.async_("b"))
            raise RuntimeError("database unreachable")

    with pytest.raises(RuntimeError, match="database unreachable"), TestClient(App()):
        pass
    assert events.log == ["enter a", "aenter b", "aexit b", "exit a"]


def test_enter_outside_the_lifecycle_is_an_error() -> None:
    events = Events()
    with pytest.raises(RuntimeError, match="only work while it is open"):
        BaseApp()._enter(events.sync("a"))
    assert events.log == []


# --- BaseFactory --------------------------------------------------------------------


class Client:
    def __init__(self, name: str) -> None:
        self.name = name


class Services(BaseFactory):
    """Services record into the `Events` they are given, so each test sees its own."""

    async def client(self, events: Events) -> Client:
        return Client(await self._aenter(events.async_("client")))

    def cache(self, events: Events) -> str:
        return self._enter(events.sync("cache"))


def test_app_builds_its_factory_and_closes_its_services_in_reverse_order() -> None:
    events = Events()
    seen: list[BaseFactory] = []

    class App(BaseApp[Services]):
        async def _wire(self) -> None:
            seen.append(self._factory)
            self._enter(events.sync("app"))
            await self._factory.client(events)
            self._factory.cache(events)
            self._include_endpoint(Ping())

    with TestClient(App()):
        assert events.log == ["enter app", "aenter client", "enter cache"]
    assert [type(f) for f in seen] == [Services]
    assert events.log[3:] == ["exit cache", "aexit client", "exit app"]


def test_injected_factory_is_used_and_closed_with_the_app() -> None:
    events = Events()
    stand_in = Services()
    seen: list[BaseFactory] = []

    class App(BaseApp[Services]):
        async def _wire(self) -> None:
            seen.append(self._factory)
            await self._factory.client(events)
            self._include_endpoint(Ping())

    with TestClient(App(factory=stand_in)):
        assert events.log == ["aenter client"]
    assert seen == [stand_in]
    assert events.log == ["aenter client", "aexit client"]


@pytest.mark.anyio
async def test_an_already_open_factory_outlives_the_app() -> None:
    events = Events()

    class App(BaseApp[Services]):
        async def _wire(self) -> None:
            self._factory.cache(events)
            self._include_endpoint(Ping())

    async with Services.open() as factory:
        async with AsyncTestClient(App(factory=factory)) as client:
            assert (await client.get("/ping")).status_code == 200
        assert events.log == ["enter cache"]
    assert events.log == ["enter cache", "exit cache"]


def test_factory_open_in_a_script_closes_in_reverse_order() -> None:
    events = Events()

    async def script() -> None:
        async with Services.open() as factory:
            client = await factory.client(events)
            assert client.name == "client"
            factory.cache(events)
            events.log.append("work")

    anyio.run(script)
    assert events.log == ["aenter client", "enter cache", "work", "exit cache", "aexit client"]


class NotAFactory:
    """A stand-in that does not subclass the app's factory (duck-typed)."""

    async def client(self, events: Events) -> str:
        return "fake"


def test_a_stand_in_that_is_not_the_apps_factory_is_a_type_error_at_construction() -> None:
    class App(BaseApp[Services]):
        pass

    with pytest.raises(TypeError) as raised:
        App(factory=NotAFactory())  # type: ignore[arg-type]
    message = str(raised.value)
    assert "App(factory=NotAFactory())" in message
    assert "BaseFactory" in message
    assert "subclass Services" in message
    with pytest.raises(TypeError, match=r"pass an instance: App\(factory=Services\(\)\)"):
        App(factory=Services)  # type: ignore[arg-type]
    other = BaseFactory()  # a BaseFactory, but not the app's: it lacks `client`
    with pytest.raises(TypeError, match="subclass Services"):
        App(factory=other)  # type: ignore[arg-type]


def test_factory_outside_startup_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="only once startup began"):
        BaseApp()._factory  # noqa: B018


# --- wiring-only calls and unwired requests -----------------------------------------


def test_include_outside_wire_is_an_error() -> None:
    app = app_of(Ping())
    with pytest.raises(WiringError, match=r"_include_[a-z]+ belongs inside _wire"):
        app._include_endpoint(Ping())
    with TestClient(app):
        pass
    with pytest.raises(WiringError, match=r"_include_[a-z]+ belongs inside _wire"):
        app._include_resource(Ping())  # type: ignore[arg-type]


def test_request_before_wiring_is_503_problem() -> None:
    exchange = call(app_of(Ping()), "GET", "/ping", lifespan=False)
    start, body = exchange.messages
    assert start["status"] == 503
    assert (b"content-type", b"application/problem+json") in start["headers"]
    assert msgspec.json.decode(body["body"]) == {
        "type": "service-unavailable",
        "title": "Service unavailable",
        "status": 503,
    }


def test_test_client_without_lifespan_gets_503() -> None:
    with TestClient(app_of(Ping()), lifespan=False) as client:
        response = client.get("/ping")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


# --- clients and restarts -----------------------------------------------------------


@pytest.mark.anyio
async def test_async_test_client_runs_the_lifespan() -> None:
    events = Events()

    class App(BaseApp):
        async def _wire(self) -> None:
            await self._aenter(events.async_("pool"))
            self._include_endpoint(Ping(wired=1))

    async with AsyncTestClient(App()) as client:
        response = await client.get("/ping")
        assert events.log == ["aenter pool"]
    assert response.json() == {"wired": 1}
    assert events.log == ["aenter pool", "aexit pool"]


@pytest.mark.anyio
async def test_async_test_client_reraises_startup_errors() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            raise RuntimeError("no config")

    with pytest.raises(RuntimeError, match="no config"):
        async with AsyncTestClient(App()):
            pass


def test_app_can_be_started_twice_in_a_row() -> None:
    events = Events()
    wired: list[int] = []

    class App(BaseApp):
        async def _wire(self) -> None:
            wired.append(len(wired) + 1)
            self._enter(events.sync(f"run {len(wired)}"))
            self._include_endpoint(Ping(wired=len(wired)))

    app = App()
    with TestClient(app) as client:
        assert client.get("/ping").json() == {"wired": 1}
    with TestClient(app) as client:
        assert client.get("/ping").json() == {"wired": 2}
    assert events.log == ["enter run 1", "exit run 1", "enter run 2", "exit run 2"]
    assert app.jero.router is None
