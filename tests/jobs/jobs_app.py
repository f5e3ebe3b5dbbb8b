"""A jero app with durable jobs on PostgreSQL, served by granian and consumed by
`jero worker` in the fault and load tests (one module, so both kinds of process agree
on every job's name).

Environment: JOBS_DSN (required), JOBS_HEARTBEAT (seconds, default 2), JOBS_DRAIN
(drain_timeout seconds, default 5). The handler records every attempt's start in
`job_started` and every completion in `job_handled` (one row per run, never merged,
so a job run twice shows twice), in tables `create_tables` makes before any process
starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator
from typing import Any

import asyncpg
from msgspec import Struct

from jero import Accepted, BackgroundTasks, BaseApp, Endpoint, JobId, PostgresJobs, RetryPolicy

TABLES = """
CREATE TABLE IF NOT EXISTS job_started (key text NOT NULL, pid integer NOT NULL);
CREATE TABLE IF NOT EXISTS job_handled (key text NOT NULL, pid integer NOT NULL);
CREATE INDEX IF NOT EXISTS job_started_key ON job_started (key);
"""


async def create_tables(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(TABLES)
    finally:
        await connection.close()


class Work(Struct):
    key: str
    first_run_seconds: float = 0.0
    """How long the job's first run takes; later runs (after a crash) are quick."""


class Done(Struct):
    key: str
    pid: int


class Queued(Struct):
    job: int


class Handler:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def handle(self, item: Work) -> Done:
        runs = await self.pool.fetchval(
            "WITH s AS (INSERT INTO job_started VALUES ($1, $2) RETURNING 1) "
            "SELECT count(*) + 1 FROM job_started WHERE key = $1",
            item.key,
            os.getpid(),
        )
        if runs == 1 and item.first_run_seconds:
            await asyncio.sleep(item.first_run_seconds)
        await self.pool.execute("INSERT INTO job_handled VALUES ($1, $2)", item.key, os.getpid())
        return Done(item.key, os.getpid())


class JobsEndpoint(Endpoint, path="/jobs"):
    def __init__(self, tasks: BackgroundTasks, pool: Any) -> None:
        self.tasks = tasks
        self.pool = pool

    async def post(self, json: Work) -> Accepted[Queued]:
        async with self.pool.acquire() as connection, connection.transaction():
            job = await self.tasks.add(json, key=json.key, connection=connection)
        return Accepted(json=Queued(job))


@contextlib.asynccontextmanager
async def open_pool(dsn: str) -> AsyncGenerator[Any]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


class App(BaseApp):
    async def _wire(self) -> None:
        dsn = os.environ["JOBS_DSN"]
        pool = await self._aenter(open_pool(dsn))
        backend = PostgresJobs(
            dsn,
            heartbeat_timeout=float(os.environ.get("JOBS_HEARTBEAT", "2")),
            poll_interval=0.5,
            retry=RetryPolicy(max_attempts=20, initial_delay=0.05, max_delay=1.0),
        )
        drain = float(os.environ.get("JOBS_DRAIN", "5"))
        self.tasks = await self._create_background_tasks(backend=backend, drain_timeout=drain)
        self.tasks.register(Handler(pool).handle)
        self._include_endpoint(JobsEndpoint(self.tasks, pool))


app = App()
__all__ = ["App", "Done", "JobId", "Work", "app", "create_tables"]
