"""`MemoryJobs`: the durable semantics without a database, for unit tests.

The same pgqueuer QueueManager runs over pgqueuer's in-memory queries, in the app's
own process: keys, retries with backoff, the failed state, delays, status and results
behave as on PostgreSQL, and nothing survives the process (it is a test double for the
engine, not a deployment choice; `connection=` has no transaction to join here).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from .backend import JobBackend, require
from .kinds import JobKind
from .model import JobId, JobState, JobStatus, RetryPolicy

if TYPE_CHECKING:
    from pgqueuer.adapters.inmemory import InMemoryQueries
    from pgqueuer.domain.types import JobId as EngineJobId
    from pgqueuer.ports import RepositoryPort

__all__ = ["MemoryJobs"]

_DONE: frozenset[JobState] = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class _Record:
    kind: JobKind
    key: str | None
    state: JobState = "queued"
    attempts: int = 0
    result: bytes | None = None
    error: str | None = None


class MemoryJobs(JobBackend):
    """Jobs in this process's memory, consumed here (see the module docstring)."""

    join_poll_interval = 0.005

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
        poll_interval: float = 0.05,
    ) -> None:
        require("pgqueuer", type(self).__name__)
        super().__init__(
            retry=retry, work=True, concurrency=concurrency, poll_interval=poll_interval
        )
        self.__queries: InMemoryQueries | None = None
        self.__records: dict[JobId, _Record] = {}
        self.__keys: dict[str, JobId] = {}

    async def _open(self) -> None:
        from pgqueuer.adapters.inmemory import InMemoryDriver, InMemoryQueries

        self.__queries = InMemoryQueries(InMemoryDriver())
        self.__records.clear()  # a new engine numbers its jobs from 1 again
        self.__keys.clear()

    async def _close(self) -> None:
        self.__queries = None

    def _consumer(self) -> AbstractAsyncContextManager[RepositoryPort]:
        return self.__session()

    @contextlib.asynccontextmanager
    async def __session(self) -> AsyncGenerator[RepositoryPort]:
        yield self.__running()

    def __running(self) -> InMemoryQueries:
        if self.__queries is None:
            raise RuntimeError("MemoryJobs is not running")
        return self.__queries

    def _outcomes(self) -> MemoryJobs:
        return self

    async def _enqueue(
        self,
        kind: JobKind,
        payload: bytes,
        key: str | None,
        after: timedelta | None,
        connection: Any,
    ) -> JobId:
        if connection is not None:
            raise TypeError("MemoryJobs has no database transaction to join (connection=)")
        if key is not None and key in self.__keys:
            return self.__keys[key]
        [engine_id] = await self.__running().enqueue(kind.name, payload, execute_after=after)
        job_id = JobId(int(engine_id))
        self.__records[job_id] = _Record(kind, key)
        if key is not None:
            self.__keys[key] = job_id
        return job_id

    async def _finished(self, ids: list[JobId]) -> set[JobId]:
        done = {job_id for job_id in ids if self.__record(job_id).state in _DONE}
        failed = [job_id for job_id in done if self.__record(job_id).state == "failed"]
        # A failure is recorded here before pgqueuer holds the row (its log is buffered).
        return done - set(failed) | await self.__held(failed)

    async def __held(self, ids: list[JobId]) -> set[JobId]:
        """Which of `ids` the engine holds as failed (so they can be requeued)."""
        if not ids:
            return set()
        statuses = await self.__running().job_status(cast("list[EngineJobId]", ids))
        return {JobId(int(job_id)) for job_id, status in statuses if status == "failed"}

    def __record(self, job_id: JobId) -> _Record:
        record = self.__records.get(job_id)
        if record is None:
            raise LookupError(f"no job {job_id}")
        return record

    # --- outcomes, written by the executor ----------------------------------------------

    async def started(self, job_id: JobId) -> None:
        self.__record(job_id).state = "running"

    async def succeeded(self, job_id: JobId, result: bytes | None) -> None:
        record = self.__record(job_id)
        record.state, record.result, record.error = "succeeded", result, None

    async def attempt_failed(self, job_id: JobId, error: str, *, final: bool) -> None:
        record = self.__record(job_id)
        record.attempts += 1
        record.state, record.error = ("failed" if final else "queued"), error

    async def returned(self, job_id: JobId) -> None:
        record = self.__record(job_id)
        record.attempts += 1
        record.state = "queued"

    # --- reading ------------------------------------------------------------------------

    async def status(self, job_id: JobId) -> JobStatus:
        record = self.__record(job_id)
        return JobStatus(
            id=job_id,
            type=record.kind.item_type.__qualname__,
            state=record.state,
            attempts=record.attempts,
            key=record.key,
            result=record.kind.decode_result(record.result),
            error=record.error,
        )

    async def failed(self, limit: int = 100) -> list[JobStatus]:
        ids = [job_id for job_id, record in self.__records.items() if record.state == "failed"]
        return [await self.status(job_id) for job_id in sorted(ids, reverse=True)[:limit]]

    async def _requeue(self, ids: list[JobId]) -> list[JobId]:
        ids = sorted(await self.__held(ids))
        await self.__running().requeue_jobs(cast("list[EngineJobId]", ids))
        for job_id in ids:
            record = self.__record(job_id)
            record.state, record.attempts = "queued", 0
        return ids
