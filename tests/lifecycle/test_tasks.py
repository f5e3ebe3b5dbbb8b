"""Background tasks: register by item type, one worker, drain at shutdown."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
from anyio import wait_all_tasks_blocked
from msgspec import Struct

from jero import Accepted, BackgroundTasks, BaseApp, Endpoint, WiringError
from jero.testing import TestClient


class Welcome(Struct):
    user_id: str


class Invoice(Struct):
    number: int


class VipWelcome(Welcome):
    pass


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and r.name == "jero"]


# --- register -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_register_infers_the_item_type_from_the_single_struct_parameter() -> None:
    seen: list[object] = []

    async def on_welcome(item: Welcome) -> None:
        seen.append(item)

    async def on_invoice(invoice: Invoice) -> None:
        seen.append(invoice)

    async with BackgroundTasks() as tasks:
        tasks.register(on_welcome)
        tasks.register(on_invoice)
        await tasks.add(Invoice(7))
        await tasks.add(Welcome("ann"))
    assert seen == [Invoice(7), Welcome("ann")]


@pytest.mark.anyio
async def test_register_accepts_bound_methods_and_async_callable_objects() -> None:
    seen: list[str] = []

    class Mailer:
        async def send(self, item: Welcome) -> None:
            seen.append(f"method {item.user_id}")

    class Biller:
        async def __call__(self, item: Invoice) -> None:
            seen.append(f"callable {item.number}")

    async with BackgroundTasks() as tasks:
        tasks.register(Mailer().send)
        tasks.register(Biller())
        await tasks.add(Welcome("ann"))
        await tasks.add(Invoice(1))
    assert seen == ["method ann", "callable 1"]


async def no_parameter() -> None: ...


async def two_parameters(item: Welcome, other: Invoice) -> None: ...


async def not_a_struct(item: dict[str, str]) -> None: ...


async def unannotated(item) -> None:  # type: ignore[no-untyped-def]
    ...


async def keyword_only(*, item: Welcome) -> None: ...


def sync_handler(item: Welcome) -> None: ...


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (no_parameter, "must take exactly one positional parameter, the item"),
        (two_parameters, "must take exactly one positional parameter, the item"),
        (keyword_only, "must take exactly one positional parameter, the item"),
        (not_a_struct, "parameter `item` must be annotated with a msgspec Struct"),
        (unannotated, "parameter `item` has no annotation"),
        (sync_handler, "the handler must be `async def`; run blocking work inside it with"),
    ],
)
def test_register_rejects_a_handler_without_a_single_struct_parameter(
    handler: object, message: str
) -> None:
    tasks = BackgroundTasks()
    with pytest.raises(WiringError) as info:
        tasks.register(handler)  # type: ignore[arg-type]
    name = getattr(handler, "__qualname__", "")
    assert str(info.value).startswith(f"BackgroundTasks.register({name}): ")
    assert message in str(info.value)


def test_register_rejects_a_second_handler_for_one_type() -> None:
    async def first(item: Welcome) -> None: ...

    async def second(item: Welcome) -> None: ...

    tasks = BackgroundTasks()
    tasks.register(first)
    with pytest.raises(WiringError) as info:
        tasks.register(second)
    message = str(info.value)
    assert "Welcome already has a handler" in message
    assert "first" in message
    assert "allow_one_to_many=True" in message


@pytest.mark.anyio
async def test_allow_one_to_many_runs_every_handler_of_a_type_in_registration_order() -> None:
    seen: list[str] = []

    async def first(item: Welcome) -> None:
        seen.append(f"first {item.user_id}")

    async def second(item: Welcome) -> None:
        seen.append(f"second {item.user_id}")

    async with BackgroundTasks(allow_one_to_many=True) as tasks:
        tasks.register(first)
        tasks.register(second)
        await tasks.add(Welcome("ann"))
        await tasks.add(Welcome("bob"))
    assert seen == ["first ann", "second ann", "first bob", "second bob"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"drain_timeout": -1.0}, "drain_timeout=-1.0 must be a number of seconds >= 0"),
        ({"drain_timeout": float("nan")}, "drain_timeout=nan must be a number of seconds"),
        ({"maxsize": -1}, "maxsize=-1 must be an int >= 0"),
        ({"maxsize": 1.5}, "maxsize=1.5 must be an int >= 0"),
    ],
)
def test_bad_background_task_options_are_wiring_errors(
    options: dict[str, float], message: str
) -> None:
    with pytest.raises(WiringError, match=message):
        BackgroundTasks(**options)  # type: ignore[arg-type]


# --- the worker -----------------------------------------------------------------------


async def welcomes_handled(*items: Struct) -> list[object]:
    """What the only handler of a queue, one for `Welcome`, was given of `items`."""
    seen: list[object] = []

    async def on_welcome(item: Welcome) -> None:
        seen.append(item)

    async with BackgroundTasks() as tasks:
        tasks.register(on_welcome)
        for item in items:
            await tasks.add(item)
    return seen


@pytest.mark.anyio
async def test_worker_dispatches_by_exact_type(caplog: pytest.LogCaptureFixture) -> None:
    assert await welcomes_handled(VipWelcome("vip"), Welcome("ann")) == [Welcome("ann")]
    assert records(caplog, logging.ERROR) == [
        "Background tasks: no handler registered for VipWelcome; the item was dropped"
    ]


@pytest.mark.anyio
async def test_item_without_a_handler_is_logged_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await welcomes_handled(Invoice(1), Welcome("after")) == [Welcome("after")]
    assert records(caplog, logging.ERROR) == [
        "Background tasks: no handler registered for Invoice; the item was dropped"
    ]


@pytest.mark.anyio
async def test_handler_error_is_logged_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    async def flaky(item: Welcome) -> None:
        if item.user_id == "bad":
            raise ValueError("boom")
        seen.append(item.user_id)

    async with BackgroundTasks() as tasks:
        tasks.register(flaky)
        await tasks.add(Welcome("bad"))
        await tasks.add(Welcome("good"))
    assert seen == ["good"]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        "Background task test_handler_error_is_logged_and_the_worker_goes_on.<locals>.flaky "
        "failed on a Welcome item"
    ]
    assert failures[0].exc_info is not None
    assert isinstance(failures[0].exc_info[1], ValueError)


@pytest.mark.anyio
async def test_add_waits_when_the_queue_is_full() -> None:
    release = anyio.Event()
    log: list[str] = []

    async def slow(item: Invoice) -> None:
        log.append(f"start {item.number}")
        await release.wait()

    async with BackgroundTasks(maxsize=1) as tasks, anyio.create_task_group() as group:
        tasks.register(slow)

        async def produce(number: int) -> None:
            await tasks.add(Invoice(number))
            log.append(f"added {number}")

        await produce(1)
        await wait_all_tasks_blocked()  # the worker took 1 and waits on the release
        await produce(2)  # fills the one slot
        group.start_soon(produce, 3)
        await wait_all_tasks_blocked()
        assert log == ["added 1", "start 1", "added 2"]
        assert tasks.pending == 1
        release.set()
    assert log == ["added 1", "start 1", "added 2", "start 2", "added 3", "start 3"]


@pytest.mark.anyio
async def test_add_outside_a_running_queue_raises() -> None:
    tasks = BackgroundTasks()
    with pytest.raises(RuntimeError, match="BackgroundTasks is not running"):
        await tasks.add(Welcome("early"))
    async with tasks:
        pass
    with pytest.raises(RuntimeError, match="the Welcome item was not queued"):
        await tasks.add(Welcome("late"))


# --- shutdown -------------------------------------------------------------------------


def stuck(log: list[str]) -> Callable[[Invoice], Awaitable[None]]:
    """A handler that logs its start and its cancellation, and never ends by itself."""

    async def handle(item: Invoice) -> None:
        log.append(f"start {item.number}")
        try:
            await anyio.Event().wait()
        finally:
            log.append(f"cancelled {item.number}")

    return handle


@pytest.mark.anyio
async def test_shutdown_drains_queued_items_before_returning() -> None:
    seen: list[int] = []

    async def handle(item: Invoice) -> None:
        await anyio.sleep(0)
        seen.append(item.number)

    async with BackgroundTasks() as tasks:
        tasks.register(handle)
        for number in range(5):
            await tasks.add(Invoice(number))
    assert seen == [0, 1, 2, 3, 4]


@pytest.mark.anyio
async def test_drain_timeout_cancels_unfinished_work_and_logs_how_many_items_were_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    async with BackgroundTasks(drain_timeout=0.01) as tasks:
        tasks.register(stuck(log))
        await tasks.add(Invoice(1))
        await tasks.add(Invoice(2))
        await wait_all_tasks_blocked()
    assert log == ["start 1", "cancelled 1"]
    assert records(caplog, logging.WARNING) == [
        "Background tasks: dropped 2 unfinished item(s) at shutdown "
        "(not done within drain_timeout=0.01s)"
    ]


@pytest.mark.anyio
async def test_drain_timeout_none_drops_queued_work_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    async with BackgroundTasks(drain_timeout=None) as tasks:
        tasks.register(stuck(log))
        for number in range(3):
            await tasks.add(Invoice(number))
        await wait_all_tasks_blocked()
    assert log == ["start 0", "cancelled 0"]
    assert records(caplog, logging.WARNING) == [
        "Background tasks: dropped 3 unfinished item(s) at shutdown (drain_timeout=None)"
    ]


@pytest.mark.anyio
async def test_shutdown_with_nothing_queued_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with BackgroundTasks(drain_timeout=None):
        pass
    async with BackgroundTasks():
        pass
    assert records(caplog, logging.WARNING) == []


@pytest.mark.anyio
async def test_a_producer_waiting_on_a_full_queue_at_shutdown_is_refused() -> None:
    release = anyio.Event()
    outcome: list[str] = []

    async def slow(item: Invoice) -> None:
        await release.wait()

    async def produce(tasks: BackgroundTasks) -> None:
        try:
            await tasks.add(Invoice(3))
        except RuntimeError as error:
            outcome.append(str(error))

    async with anyio.create_task_group() as group, BackgroundTasks(maxsize=1) as tasks:
        tasks.register(slow)
        await tasks.add(Invoice(1))
        await wait_all_tasks_blocked()
        await tasks.add(Invoice(2))
        group.start_soon(produce, tasks)
        await wait_all_tasks_blocked()
        release.set()
    assert outcome == [
        "BackgroundTasks is not running (shut down, or never started); the Invoice item "
        "was not queued"
    ]


# --- on the app's lifecycle -----------------------------------------------------------


class Service:
    """A resource the handler uses; records when it is used and when it closes."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.open = False

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        self.open = True
        try:
            yield self
        finally:
            self.open = False
            self.log.append("service closed")

    def use(self, what: str) -> None:
        self.log.append(f"{what} with service {'open' if self.open else 'CLOSED'}")


class SignupEndpoint(Endpoint, path="/signups"):
    def __init__(self, tasks: BackgroundTasks) -> None:
        self._tasks = tasks

    async def post(self, json: Welcome) -> Accepted[Welcome]:
        await self._tasks.add(json)
        return Accepted(json=json)


def test_shutdown_drains_before_resources_entered_earlier_close() -> None:
    log: list[str] = []
    released = anyio.Event()

    @contextlib.asynccontextmanager
    async def release_on_shutdown() -> AsyncIterator[None]:
        # Entered after the tasks, so it exits first: the handler is held until the
        # shutdown has begun, and can only finish during the drain.
        yield
        log.append("shutdown began")
        released.set()

    class App(BaseApp):
        async def _wire(self) -> None:
            service = await self._aenter(Service(log).running())
            tasks = await self._create_background_tasks()

            async def welcome(item: Welcome) -> None:
                await released.wait()
                service.use(f"welcomed {item.user_id}")

            tasks.register(welcome)
            await self._aenter(release_on_shutdown())
            self._include_endpoint(SignupEndpoint(tasks))

    with TestClient(App()) as client:
        response = client.post("/signups", json={"user_id": "ann"})
        assert response.status_code == 202
    assert log == ["shutdown began", "welcomed ann with service open", "service closed"]


def test_create_background_tasks_passes_its_options() -> None:
    created: list[BackgroundTasks] = []

    class App(BaseApp):
        async def _wire(self) -> None:
            created.append(
                await self._create_background_tasks(
                    drain_timeout=None, maxsize=3, allow_one_to_many=True
                )
            )

    with TestClient(App()):
        (tasks,) = created
        assert (tasks.drain_timeout, tasks.maxsize, tasks.allow_one_to_many) == (None, 3, True)


def test_background_tasks_close_when_wiring_fails_later() -> None:
    log: list[str] = []

    class App(BaseApp):
        async def _wire(self) -> None:
            service = await self._aenter(Service(log).running())
            tasks = await self._create_background_tasks()

            async def welcome(item: Welcome) -> None:
                service.use("welcomed")

            tasks.register(welcome)
            await tasks.add(Welcome("early"))
            raise WiringError("later mistake")

    with pytest.raises(WiringError, match="later mistake"), TestClient(App()):
        pass
    assert log == ["welcomed with service open", "service closed"]
