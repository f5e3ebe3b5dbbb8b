"""PostgresJobs against a real PostgreSQL server, consumed in the test's own process.

Transactional enqueue (a rolled-back transaction's job never runs), keys under
concurrent enqueues, a payload that no longer decodes, retries and the failed state,
delays, and typed results.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import asyncpg
import msgspec
import pytest
from msgspec import Struct

from jero import BackgroundTasks, PostgresJobs, RetryPolicy

pytestmark = pytest.mark.server

FAST = RetryPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)


class Ship(Struct):
    order: str


class Shipped(Struct):
    order: str
    parcel: int


class Warehouse:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.calls: list[str] = []

    async def ship(self, item: Ship) -> Shipped:
        self.calls.append(item.order)
        if item.order in self.failing:
            raise RuntimeError(f"no stock for {item.order}")
        return Shipped(item.order, len(self.calls))


@asynccontextmanager
async def durable(
    dsn: str, handler: Any, *, work: bool = True, retry: RetryPolicy = FAST
) -> AsyncGenerator[BackgroundTasks]:
    backend = PostgresJobs(dsn, work=work, retry=retry, poll_interval=0.2)
    async with BackgroundTasks(backend=backend) as tasks:
        tasks.register(handler)
        yield tasks


def test_a_job_added_in_a_rolled_back_transaction_never_runs(dsn: str) -> None:
    warehouse = Warehouse()

    async def main() -> None:
        async with durable(dsn, warehouse.ship) as tasks:
            connection = await asyncpg.connect(dsn)
            try:
                with pytest.raises(LookupError):
                    async with connection.transaction():
                        await tasks.add(Ship("rolled-back"), connection=connection)
                        raise LookupError("the order was refused")
                with pytest.raises(LookupError):
                    async with connection.transaction():
                        await tasks.add(Ship("keyed"), key="ship-keyed", connection=connection)
                        raise LookupError("refused too")
                async with connection.transaction():
                    committed = await tasks.add(Ship("committed"), connection=connection)
                    # The rolled-back key was never taken: this one is a new job.
                    keyed = await tasks.add(Ship("keyed"), key="ship-keyed", connection=connection)
                rows = await connection.fetch("SELECT id FROM jero_jobs ORDER BY id")
            finally:
                await connection.close()
            await tasks.join()
            assert (await tasks.status(committed)).state == "succeeded"
            assert (await tasks.status(keyed)).state == "succeeded"
            assert [row["id"] for row in rows] == [committed, keyed]

    anyio.run(main)
    assert sorted(warehouse.calls) == ["committed", "keyed"]


def test_a_key_enqueued_concurrently_is_one_job_run_once(dsn: str) -> None:
    warehouse = Warehouse()

    async def main() -> None:
        async with durable(dsn, warehouse.ship) as tasks:
            ids = await asyncio.gather(*(tasks.add(Ship("o1"), key="ship-o1") for _ in range(20)))
            await tasks.join()
            assert len(set(ids)) == 1
            assert (await tasks.status(ids[0])).result == Shipped("o1", 1)

    anyio.run(main)
    assert warehouse.calls == ["o1"]


def test_a_payload_that_no_longer_decodes_fails_at_once_and_the_worker_goes_on(
    dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse = Warehouse()

    async def main() -> None:
        # Enqueued by an older deploy whose Ship had another shape.
        async with durable(dsn, warehouse.ship, work=False) as producer:
            old = await producer.add(Ship("o1"))
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute(
                    "UPDATE pgqueuer SET payload = $1 WHERE id = $2",
                    msgspec.json.encode({"order_id": 1}),
                    old,
                )
            finally:
                await connection.close()
            async with durable(dsn, warehouse.ship) as worker:
                new = await producer.add(Ship("o2"))
                await producer.join()
                failed = await worker.failed()
                assert [status.id for status in failed] == [old]
                assert failed[0].attempts == 1  # not retried: it can never decode
                assert failed[0].error is not None
                assert failed[0].error.startswith(
                    "the stored payload does not decode as Ship: Object missing required "
                    "field `order`"
                )
                assert (await worker.status(new)).state == "succeeded"

    with caplog.at_level(logging.ERROR, logger="jero"):
        anyio.run(main)
    assert warehouse.calls == ["o2"]
    assert [record.getMessage() for record in caplog.records if record.name == "jero"] == [
        f"Job 1 ({__name__}.Ship) failed: the stored payload does not decode as Ship: "
        f"Object missing required field `order`"
    ]


def test_out_of_attempts_a_job_is_failed_and_a_retry_runs_it_again(dsn: str) -> None:
    warehouse = Warehouse(failing={"o1"})

    async def main() -> None:
        async with durable(dsn, warehouse.ship) as tasks:
            job = await tasks.add(Ship("o1"))
            await tasks.join()
            status = await tasks.status(job)
            assert (status.state, status.attempts) == ("failed", 3)
            assert status.error == "RuntimeError: no stock for o1"
            assert [failed.id for failed in await tasks.failed()] == [job]

            warehouse.failing.clear()
            await tasks.retry(job)
            await tasks.join()
            status = await tasks.status(job)
            assert (status.state, status.result) == ("succeeded", Shipped("o1", 4))
            assert await tasks.failed() == []

    anyio.run(main)
    assert warehouse.calls == ["o1"] * 4


def test_a_delayed_job_waits_in_the_queue(dsn: str) -> None:
    warehouse = Warehouse()

    async def main() -> None:
        async with durable(dsn, warehouse.ship) as tasks:
            later = await tasks.add(Ship("later"), delay=0.5)
            now = await tasks.add(Ship("now"))
            assert (await tasks.status(later)).state == "queued"
            await tasks.join()
            assert (await tasks.status(later)).state == "succeeded"
            assert (await tasks.status(now)).state == "succeeded"

    anyio.run(main)
    assert warehouse.calls == ["now", "later"]


def test_a_web_process_only_enqueues_and_join_waits_for_another_consumer(dsn: str) -> None:
    warehouse = Warehouse()

    async def main() -> None:
        async with durable(dsn, warehouse.ship, work=False) as web:
            jobs = [await web.add(Ship(f"o{n}")) for n in range(5)]
            await anyio.sleep(0.3)
            assert warehouse.calls == []  # nothing consumes in a web process
            assert {(await web.status(job)).state for job in jobs} == {"queued"}
            async with durable(dsn, warehouse.ship):
                await web.join()
            assert {(await web.status(job)).state for job in jobs} == {"succeeded"}

    anyio.run(main)
    assert sorted(warehouse.calls) == [f"o{n}" for n in range(5)]


def test_a_running_job_reads_as_running(dsn: str) -> None:
    started = anyio.Event()
    release = anyio.Event()

    async def ship(item: Ship) -> Shipped:
        started.set()
        await release.wait()
        return Shipped(item.order, 1)

    async def main() -> None:
        async with durable(dsn, ship) as tasks:
            job = await tasks.add(Ship("o1"))
            with anyio.fail_after(30):  # a hang guard
                await started.wait()
            assert (await tasks.status(job)).state == "running"
            release.set()
            await tasks.join()
            assert (await tasks.status(job)).result == Shipped("o1", 1)

    anyio.run(main)


def test_a_periodic_job_is_added_on_its_schedule(dsn: str) -> None:
    ticks: list[str] = []
    twice = anyio.Event()

    async def ship(item: Ship) -> Shipped:
        ticks.append(item.order)
        if len(ticks) == 2:
            twice.set()
        return Shipped(item.order, len(ticks))

    async def main() -> None:
        async with durable(dsn, ship) as tasks:
            tasks.every("* * * * * *", Ship("nightly"))  # every second, for the test
            with anyio.fail_after(30):  # a hang guard; two ticks take about two seconds
                await twice.wait()
            [row] = await _fetch(dsn, "SELECT count(*) AS n FROM jero_jobs")
            assert row["n"] >= 2  # each tick is a job of its own, with its record

    anyio.run(main)
    assert ticks[:2] == ["nightly", "nightly"]


async def _fetch(dsn: str, sql: str) -> list[Any]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()
