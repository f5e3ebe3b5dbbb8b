"""The durable-job API on the in-memory backend: the same pgqueuer engine, no database.

Keys, retries with backoff, the failed state and its retry, delays, typed results by id,
`join`, and the wiring mistakes; plus the in-process queue refusing what it cannot keep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from msgspec import Struct

from jero import (
    Accepted,
    BackgroundTasks,
    BaseApp,
    Endpoint,
    JobStatus,
    MemoryJobs,
    RetryPolicy,
    WiringError,
)
from jero.testing import TestClient

FAST = RetryPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)


class Charge(Struct):
    order: str
    cents: int


class Receipt(Struct):
    order: str
    charged: int


class Ping(Struct):
    n: int


class Gateway:
    """Fails each order's first `flaky[order]` attempts; counts every call."""

    def __init__(self, **flaky: int) -> None:
        self.flaky = flaky
        self.calls: list[str] = []

    async def charge(self, item: Charge) -> Receipt:
        self.calls.append(item.order)
        if self.calls.count(item.order) <= self.flaky.get(item.order, 0):
            raise ConnectionError(f"gateway down for {item.order}")
        return Receipt(item.order, item.cents)


def run(main: object) -> None:
    anyio.run(main)  # type: ignore[arg-type]


def test_a_job_result_is_read_back_typed_by_id() -> None:
    gateway = Gateway()

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs(retry=FAST)) as tasks:
            tasks.register(gateway.charge)
            job = await tasks.add(Charge("o1", 250))
            await tasks.join()
            status = await tasks.status(job)
            assert status == JobStatus(
                id=job, type="Charge", state="succeeded", result=Receipt("o1", 250)
            )
            assert type(status.result) is Receipt

    run(main)


def test_a_key_added_again_returns_the_first_job_and_runs_once() -> None:
    gateway = Gateway()

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs(retry=FAST)) as tasks:
            tasks.register(gateway.charge)
            first = await tasks.add(Charge("o1", 250), key="order-o1")
            again = await tasks.add(Charge("o1", 250), key="order-o1")
            other = await tasks.add(Charge("o2", 100), key="order-o2")
            await tasks.join()
            later = await tasks.add(Charge("o1", 250), key="order-o1")  # after it ran
            await tasks.join()
            assert again == first == later != other
            assert (await tasks.status(first)).key == "order-o1"

    run(main)
    assert sorted(gateway.calls) == ["o1", "o2"]


def test_a_failing_job_is_retried_until_it_succeeds() -> None:
    gateway = Gateway(o1=2)

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs(retry=FAST)) as tasks:
            tasks.register(gateway.charge)
            job = await tasks.add(Charge("o1", 250))
            await tasks.join()
            status = await tasks.status(job)
            assert (status.state, status.attempts) == ("succeeded", 2)
            assert status.result == Receipt("o1", 250)

    run(main)
    assert gateway.calls == ["o1", "o1", "o1"]


def test_out_of_attempts_a_job_is_failed_listed_and_can_be_retried() -> None:
    gateway = Gateway(o1=3)  # fails all 3 attempts, then would succeed

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs(retry=FAST)) as tasks:
            tasks.register(gateway.charge)
            bad = await tasks.add(Charge("o1", 250))
            good = await tasks.add(Charge("o2", 100))
            await tasks.join()
            failed = await tasks.failed()
            assert [status.id for status in failed] == [bad]
            assert failed[0].state == "failed"
            assert failed[0].attempts == 3
            assert failed[0].error == "ConnectionError: gateway down for o1"
            assert (await tasks.status(good)).state == "succeeded"

            await tasks.retry(bad)
            await tasks.join()  # waits for the retried job too
            status = await tasks.status(bad)
            assert (status.state, status.result) == ("succeeded", Receipt("o1", 250))
            assert await tasks.failed() == []

    run(main)
    assert gateway.calls.count("o1") == 4


def test_delayed_jobs_run_after_one_added_later_without_delay() -> None:
    order: list[int] = []

    async def ping(item: Ping) -> None:
        order.append(item.n)

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs()) as tasks:
            tasks.register(ping)
            later = await tasks.add(Ping(1), delay=0.3)
            at = await tasks.add(Ping(2), run_at=datetime.now(UTC) + timedelta(seconds=0.3))
            await tasks.add(Ping(3))
            assert (await tasks.status(later)).state == "queued"
            await tasks.join()
            assert (await tasks.status(at)).state == "succeeded"

    run(main)
    assert order[0] == 3
    assert sorted(order[1:]) == [1, 2]


def test_delay_and_run_at_are_checked() -> None:
    async def ping(item: Ping) -> None:
        pass

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs()) as tasks:
            tasks.register(ping)
            with pytest.raises(TypeError, match="not both"):
                await tasks.add(Ping(1), delay=1, run_at=datetime.now(UTC))
            with pytest.raises(TypeError, match="aware datetime"):
                await tasks.add(Ping(1), run_at=datetime.now())
            with pytest.raises(ValueError, match="must not be negative"):
                await tasks.add(Ping(1), delay=-1)
            with pytest.raises(TypeError, match="no database transaction"):
                await tasks.add(Ping(1), connection=object())
            with pytest.raises(LookupError, match="no handler is registered for Charge"):
                await tasks.add(Charge("o1", 1))
            with pytest.raises(LookupError, match="no job 999"):
                await tasks.status(999)  # type: ignore[arg-type]

    run(main)


def test_the_in_process_queue_refuses_what_only_a_durable_backend_keeps() -> None:
    async def ping(item: Ping) -> None:
        pass

    async def main() -> None:
        async with BackgroundTasks() as tasks:
            tasks.register(ping)
            for keyword in ({"key": "k"}, {"delay": 1.0}):
                with pytest.raises(TypeError, match="need a durable backend"):
                    await tasks.add(Ping(1), **keyword)  # type: ignore[arg-type]
            with pytest.raises(RuntimeError, match="keeps no job records"):
                await tasks.status(await tasks.add(Ping(1)))

    run(main)


def test_one_to_many_handlers_need_the_in_process_queue() -> None:
    with pytest.raises(WiringError, match="one handler per item type"):
        BackgroundTasks(backend=MemoryJobs(), allow_one_to_many=True)


def test_retry_policy_backs_off_exponentially_up_to_its_maximum() -> None:
    policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0)
    assert [policy.delay(n).total_seconds() for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    with pytest.raises(WiringError, match="max_attempts=0"):
        RetryPolicy(max_attempts=0)


def test_an_app_enqueues_durably_and_a_test_joins_its_jobs() -> None:
    gateway = Gateway(o2=1)

    class ChargeEndpoint(Endpoint, path="/charges"):
        def __init__(self, tasks: BackgroundTasks) -> None:
            self.tasks = tasks

        async def post(self, json: Charge) -> Accepted[Charge]:
            await self.tasks.add(json, key=json.order)
            return Accepted(json=json)

    class App(BaseApp):
        async def _wire(self) -> None:
            self.tasks = await self._create_background_tasks(backend=MemoryJobs(retry=FAST))
            self.tasks.register(gateway.charge)
            self._include_endpoint(ChargeEndpoint(self.tasks))

    app = App()
    with TestClient(app) as client:
        for order in ("o1", "o2", "o1"):
            assert client.post("/charges", json={"order": order, "cents": 5}).status_code == 202
        assert app.tasks.pending == 2
        client.call(app.tasks.join)
        assert app.tasks.pending == 0
    assert sorted(gateway.calls) == ["o1", "o2", "o2"]


def test_a_periodic_job_is_added_on_its_cron_schedule() -> None:
    seen: list[int] = []
    ticks = anyio.Event()

    async def ping(item: Ping) -> None:
        seen.append(item.n)
        if len(seen) == 2:
            ticks.set()

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs()) as tasks:
            tasks.register(ping)
            tasks.every("* * * * * *", Ping(7))  # every second (seconds last)
            with anyio.fail_after(30):  # a hang guard; two ticks take about two seconds
                await ticks.wait()

    run(main)
    assert seen[:2] == [7, 7]


def test_periodic_jobs_are_checked_at_wiring() -> None:
    async def ping(item: Ping) -> None:
        pass

    tasks = BackgroundTasks(backend=MemoryJobs())
    with pytest.raises(WiringError, match="register the item's handler first"):
        tasks.every("* * * * *", Ping(1))
    tasks.register(ping)
    with pytest.raises(WiringError, match="not a valid cron expression"):
        tasks.every("every day", Ping(1))
    tasks.every("0 3 * * *", Ping(1))
    with pytest.raises(WiringError, match="already scheduled"):
        tasks.every("0 3 * * *", Ping(1))
    with pytest.raises(RuntimeError, match="keeps no job records"):
        BackgroundTasks().every("0 3 * * *", Ping(1))


def test_a_consumer_runs_at_most_its_concurrency_of_handlers_at_once() -> None:
    running = 0
    most = 0

    async def ping(item: Ping) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await anyio.sleep(0.05)
        running -= 1

    async def main() -> None:
        async with BackgroundTasks(backend=MemoryJobs(concurrency=2)) as tasks:
            tasks.register(ping)
            for n in range(8):
                await tasks.add(Ping(n))
            await tasks.join()

    run(main)
    assert most == 2


def test_adding_after_shutdown_is_refused() -> None:
    async def ping(item: Ping) -> None:
        pass

    async def main() -> None:
        tasks = BackgroundTasks(backend=MemoryJobs())
        tasks.register(ping)
        with pytest.raises(RuntimeError, match="not running"):
            await tasks.add(Ping(1))
        async with tasks:
            await tasks.add(Ping(1))
        with pytest.raises(RuntimeError, match="not running"):
            await tasks.add(Ping(2))

    run(main)


def test_the_worker_command_wants_a_positive_concurrency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jero._cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["worker", "tests.cli_apps:app", "--concurrency", "0"])
    assert exit_info.value.code == 2
    assert "argument --concurrency: must be more than 0" in capsys.readouterr().err
