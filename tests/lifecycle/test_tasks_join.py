"""`await tasks.join()`: wait until the queue is empty and no handler runs, so tests need
not poll."""

import anyio
import pytest
from anyio.lowlevel import checkpoint
from msgspec import Struct

from jero import Accepted, BackgroundTasks, BaseApp, Endpoint
from jero.testing import TestClient


class Invoice(Struct):
    number: int


@pytest.mark.anyio
async def test_join_waits_for_queued_and_running_items() -> None:
    seen: list[int] = []

    async def handle(item: Invoice) -> None:
        for _ in range(3):
            await checkpoint()  # several scheduling rounds per item
        seen.append(item.number)

    async with BackgroundTasks() as tasks:
        tasks.register(handle)
        for number in range(5):
            await tasks.add(Invoice(number))
        await tasks.join()
        assert seen == [0, 1, 2, 3, 4]
        assert tasks.pending == 0
        await tasks.join()  # nothing left: returns at once


@pytest.mark.anyio
async def test_join_counts_failed_items_as_done(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(item: Invoice) -> None:
        await checkpoint()
        raise RuntimeError("boom")

    async with BackgroundTasks() as tasks:
        tasks.register(broken)
        await tasks.add(Invoice(1))
        with anyio.fail_after(5):
            await tasks.join()
    assert "Background task" in caplog.text


@pytest.mark.anyio
async def test_join_is_released_when_shutdown_drops_work() -> None:
    released: list[str] = []
    async with anyio.create_task_group() as group, BackgroundTasks(drain_timeout=0) as tasks:

        async def forever(item: Invoice) -> None:
            await anyio.sleep_forever()

        tasks.register(forever)
        await tasks.add(Invoice(1))

        async def joiner() -> None:
            await tasks.join()
            released.append("joined")

        group.start_soon(joiner)
        await anyio.wait_all_tasks_blocked()
        assert released == []
    assert released == ["joined"]


class Mailer:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, item: Invoice) -> None:
        await anyio.sleep(0.01)  # real waiting: a test that did not join would miss it
        self.sent.append(item.number)


class Invoices(Endpoint, path="/invoices"):
    def __init__(self, tasks: BackgroundTasks) -> None:
        self._tasks = tasks

    async def post(self, json: Invoice) -> Accepted[Invoice]:
        await self._tasks.add(json)
        return Accepted(json)


class App(BaseApp):
    async def _wire(self) -> None:
        self.mailer = Mailer()
        self.tasks = await self._create_background_tasks()
        self.tasks.register(self.mailer.send)
        self._include_endpoint(Invoices(self.tasks))


def test_a_sync_test_waits_with_client_call() -> None:
    app = App()
    with TestClient(app) as client:
        for number in range(3):
            assert client.post("/invoices", json={"number": number}).status_code == 202
        client.call(app.tasks.join)
        assert app.mailer.sent == [0, 1, 2]
