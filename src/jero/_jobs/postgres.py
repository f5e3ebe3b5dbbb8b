"""`PostgresJobs`: jobs in the app's PostgreSQL, queued and consumed by pgqueuer on asyncpg.

pgqueuer owns the queue table (picking with `SKIP LOCKED`, heartbeats, retries with a
later `execute_after`, the held `failed` rows, LISTEN/NOTIFY wake-ups). jero adds one
table, `jero_jobs`, for what the queue forgets once a job is done: the idempotency key,
the typed result and the last error. Both rows are written in one transaction, which
can be the app's own: `add(item, connection=conn)` inside `async with conn.transaction()`
enqueues only if that transaction commits.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .backend import JobBackend, require
from .kinds import JobKind
from .model import JobId, JobState, JobStatus, RetryPolicy

if TYPE_CHECKING:
    from pgqueuer.ports import RepositoryPort

__all__ = ["PostgresJobs"]

TABLE = "jero_jobs"
SCHEMA_LOCK = 0x6A65726F6A6F6273  # "jerojobs": one process installs at a time

_CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigint PRIMARY KEY,
    key text UNIQUE,
    type text NOT NULL,
    state text NOT NULL DEFAULT 'queued',
    attempts integer NOT NULL DEFAULT 0,
    result bytea,
    error text,
    created timestamptz NOT NULL DEFAULT now(),
    finished timestamptz
)
"""
_BY_KEY = f"SELECT id FROM {TABLE} WHERE key = $1"
_RECORD = (
    f"INSERT INTO {TABLE} (id, key, type) VALUES ($1, $2, $3) "
    f"ON CONFLICT (key) DO NOTHING RETURNING id"
)
_SUCCEEDED = (
    f"UPDATE {TABLE} SET state = 'succeeded', result = $2, error = NULL, finished = now() "
    f"WHERE id = $1"
)
_FAILED = (
    f"UPDATE {TABLE} SET attempts = attempts + 1, error = $2, "
    f"state = CASE WHEN $3 THEN 'failed' ELSE 'queued' END, "
    f"finished = CASE WHEN $3 THEN now() END WHERE id = $1"
)
_RETURNED = f"UPDATE {TABLE} SET attempts = attempts + 1 WHERE id = $1"
_REQUEUED = (
    f"UPDATE {TABLE} j SET state = 'queued', attempts = 0, finished = NULL "
    f"FROM {{queue}} q WHERE q.id = j.id AND q.status = 'failed' "
    f"AND j.id = ANY($1::bigint[]) AND j.state = 'failed' RETURNING j.id"
)
_LIST_FAILED = f"SELECT id FROM {TABLE} WHERE state = 'failed' ORDER BY id DESC LIMIT $1"


class _KeyTaken(Exception):
    """Another enqueue committed the same key first: undo ours, answer with theirs."""


class PostgresJobs(JobBackend):
    """Durable jobs in PostgreSQL (see the module docstring).

    - `dsn`: a `postgresql://` URL (asyncpg's; `?search_path=` selects a schema).
    - `retry`: the `RetryPolicy` (attempts and exponential backoff).
    - `work`: also consume in this process (otherwise only `jero worker` does);
      `concurrency` handlers at once then.
    - `heartbeat_timeout`: seconds after which a job whose worker stopped beating
      (killed) is picked again.
    - `poll_interval`: the longest a worker sleeps between looks at the queue when no
      notification woke it (delayed jobs, a missed NOTIFY).
    - `pool_size`: connections this process keeps for enqueueing and records.
    - `install`: create pgqueuer's tables and `jero_jobs` when missing.
    """

    def __init__(
        self,
        dsn: str,
        *,
        retry: RetryPolicy | None = None,
        work: bool = False,
        concurrency: int = 8,
        heartbeat_timeout: float = 30.0,
        poll_interval: float = 5.0,
        pool_size: int = 10,
        install: bool = True,
    ) -> None:
        require("pgqueuer", type(self).__name__)
        require("asyncpg", type(self).__name__)
        super().__init__(
            retry=retry,
            work=work,
            concurrency=concurrency,
            heartbeat_timeout=heartbeat_timeout,
            poll_interval=poll_interval,
        )
        self.dsn = dsn
        self.pool_size = pool_size
        self.install = install
        self.__pool: Any = None
        self.__queue_table = "pgqueuer"

    # --- lifecycle ---------------------------------------------------------------------

    async def _open(self) -> None:
        from pgqueuer import Queries

        self.__pool = await _asyncpg().create_pool(self.dsn, min_size=1, max_size=self.pool_size)
        try:
            async with self.__pool.acquire() as connection:
                queries = Queries.from_asyncpg_connection(connection)
                self.__queue_table = queries.qbe.settings.queue_table
                if self.install:
                    await self.__install(connection, queries)
        except BaseException:
            await self._close()
            raise

    async def __install(self, connection: Any, queries: Any) -> None:
        """Create pgqueuer's schema and `jero_jobs` once, whichever process starts first."""
        await connection.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
        try:
            if not await queries.schema_is_installed():
                await queries.install()
            await connection.execute(_CREATE)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)

    async def _close(self) -> None:
        pool, self.__pool = self.__pool, None
        if pool is not None:
            await pool.close()

    def _consumer(self) -> AbstractAsyncContextManager[RepositoryPort]:
        return self.__session()

    @contextlib.asynccontextmanager
    async def __session(self) -> AsyncGenerator[RepositoryPort]:
        """A pool of its own per consuming session: a restarted database leaves the old
        connections dead, and the next session starts from fresh ones."""
        from pgqueuer import Queries

        size = max(4, self.concurrency // 2 + 2)
        pool: Any = await _asyncpg().create_pool(self.dsn, min_size=2, max_size=size)
        try:
            yield Queries.from_asyncpg_pool(pool)
        finally:
            pool.terminate()

    def _outcomes(self) -> PostgresJobs:
        return self

    def __running(self) -> Any:
        if self.__pool is None:
            raise RuntimeError("PostgresJobs is not running")
        return self.__pool

    # --- enqueue -----------------------------------------------------------------------

    async def _enqueue(
        self,
        kind: JobKind,
        payload: bytes,
        key: str | None,
        after: timedelta | None,
        connection: Any,
    ) -> JobId:
        if connection is not None:
            return await self.__enqueue_on(connection, kind, payload, key, after)
        async with self.__running().acquire() as pooled:
            return await self.__enqueue_on(pooled, kind, payload, key, after)

    async def __enqueue_on(
        self,
        connection: Any,
        kind: JobKind,
        payload: bytes,
        key: str | None,
        after: timedelta | None,
    ) -> JobId:
        from pgqueuer import Queries

        if key is not None and (found := await connection.fetchval(_BY_KEY, key)) is not None:
            return JobId(found)
        try:
            # A savepoint inside the caller's transaction, a transaction otherwise.
            async with connection.transaction():
                queries = Queries.from_asyncpg_connection(connection)
                [engine_id] = await queries.enqueue(kind.name, payload, execute_after=after)
                if await connection.fetchval(_RECORD, engine_id, key, kind.name) is None:
                    raise _KeyTaken
                return JobId(int(engine_id))
        except _KeyTaken:
            return JobId(await connection.fetchval(_BY_KEY, key))

    # --- outcomes, written by the executor ----------------------------------------------

    async def started(self, job_id: JobId) -> None:
        """`running` is read from the queue row, which pgqueuer marks `picked`."""

    async def succeeded(self, job_id: JobId, result: bytes | None) -> None:
        await self.__running().execute(_SUCCEEDED, job_id, result)

    async def attempt_failed(self, job_id: JobId, error: str, *, final: bool) -> None:
        await self.__running().execute(_FAILED, job_id, error, final)

    async def returned(self, job_id: JobId) -> None:
        await self.__running().execute(_RETURNED, job_id)

    # --- reading ------------------------------------------------------------------------

    def __status_query(self, where: str) -> str:
        return (
            f"SELECT j.id, j.type, j.key, j.state, j.attempts, j.result, j.error, "
            f"q.status::text AS queue_status FROM {TABLE} j "
            f"LEFT JOIN {self.__queue_table} q ON q.id = j.id WHERE {where}"
        )

    async def _finished(self, ids: list[JobId]) -> set[JobId]:
        rows = await self.__running().fetch(self.__status_query("j.id = ANY($1::bigint[])"), ids)
        live = {JobId(row["id"]) for row in rows if _state(row) in ("queued", "running")}
        # An id with no row was enqueued in a transaction that rolled back: never to run.
        return set(ids) - live

    async def status(self, job_id: JobId) -> JobStatus:
        row = await self.__running().fetchrow(self.__status_query("j.id = $1"), job_id)
        if row is None:
            raise LookupError(f"no job {job_id}")
        kind = self.kinds.get(row["type"])
        return JobStatus(
            id=JobId(row["id"]),
            type=row["type"].rsplit(".", 1)[-1] if kind is None else kind.item_type.__qualname__,
            state=_state(row),
            attempts=row["attempts"],
            key=row["key"],
            result=None if kind is None else kind.decode_result(row["result"]),
            error=row["error"],
        )

    async def failed(self, limit: int = 100) -> list[JobStatus]:
        rows = await self.__running().fetch(_LIST_FAILED, limit)
        return [await self.status(JobId(row["id"])) for row in rows]

    async def _requeue(self, ids: list[JobId]) -> list[JobId]:
        from pgqueuer import Queries
        from pgqueuer.domain.types import JobId as EngineJobId

        async with self.__running().acquire() as connection, connection.transaction():
            rows = await connection.fetch(_REQUEUED.format(queue=self.__queue_table), ids)
            requeued = [EngineJobId(row["id"]) for row in rows]
            await Queries.from_asyncpg_connection(connection).requeue_jobs(requeued)
        return [JobId(job_id) for job_id in requeued]


def _asyncpg() -> Any:
    """asyncpg ships no type information; the pool and connections are used as `Any`."""
    return importlib.import_module("asyncpg")


def _state(row: Any) -> JobState:
    """jero's record says when a job ended; the queue row says where a live one is."""
    state: str = row["state"]
    queue_status: str | None = row["queue_status"]
    if state == "succeeded":
        return "succeeded"
    if state == "failed" and queue_status != "picked":  # pgqueuer's log is buffered
        return "failed"
    match queue_status:
        case "queued":
            return "queued"
        case "picked":
            return "running"
        case "failed":
            return "failed"
        case _:
            return "cancelled"
