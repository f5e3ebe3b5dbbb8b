"""What every durable backend shares: the typed front (`enqueue`, `join`, `status`,
`failed`, `retry`) over pgqueuer, and when to consume.

A backend only enqueues in a web process. It consumes (runs handlers) under
`jero worker`, or in the same process when created with `work=True` (the in-memory
backend always does: it has no other process to share its queue with).
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import msgspec

from .._errors import WiringError
from .kinds import Handler, JobKind, job_kind, kind_name
from .model import JobId, JobStatus, RetryPolicy
from .outcomes import Outcomes
from .worker_mode import WORKER_MODE

if TYPE_CHECKING:
    from pgqueuer.ports import RepositoryPort

    from .executor import JobExecutor, Shift
    from .runner import Runner

__all__ = ["JobBackend"]


class JobBackend(abc.ABC):
    """Base of the durable backends `_create_background_tasks(backend=...)` accepts."""

    join_poll_interval = 0.05

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        work: bool = False,
        concurrency: int = 8,
        heartbeat_timeout: float = 30.0,
        poll_interval: float = 5.0,
    ) -> None:
        if concurrency < 1:
            raise WiringError(f"{type(self).__name__}: concurrency={concurrency} must be >= 1")
        if not (heartbeat_timeout > 0 and poll_interval > 0):
            raise WiringError(
                f"{type(self).__name__}: heartbeat_timeout and poll_interval must be > 0 seconds"
            )
        self.retry = retry or RetryPolicy()
        self.work = work
        self.concurrency = concurrency
        self.heartbeat_timeout = heartbeat_timeout
        self.poll_interval = poll_interval
        self.kinds: dict[str, JobKind] = {}
        self.__runner: Runner | None = None
        self.__shift: Shift | None = None
        self.__outcomes: Outcomes | None = None
        self.__outstanding: set[JobId] = set()
        self.__schedules: dict[tuple[str, str], Callable[[Any], Awaitable[None]]] = {}

    # --- what each engine provides ------------------------------------------------------

    @abc.abstractmethod
    async def _open(self) -> None: ...

    @abc.abstractmethod
    async def _close(self) -> None: ...

    @abc.abstractmethod
    def _consumer(self) -> AbstractAsyncContextManager[RepositoryPort]:
        """pgqueuer queries for one consuming session (a new connection per session)."""

    @abc.abstractmethod
    def _outcomes(self) -> Outcomes: ...

    @abc.abstractmethod
    async def _enqueue(
        self,
        kind: JobKind,
        payload: bytes,
        key: str | None,
        after: timedelta | None,
        connection: Any,
    ) -> JobId: ...

    @abc.abstractmethod
    async def _finished(self, ids: list[JobId]) -> set[JobId]:
        """Which of `ids` are done: succeeded, failed or cancelled."""

    @abc.abstractmethod
    async def status(self, job_id: JobId) -> JobStatus:
        """The job's state, attempts, key, last error and typed result."""

    @abc.abstractmethod
    async def failed(self, limit: int = 100) -> list[JobStatus]:
        """Jobs in the `failed` state, newest first."""

    @abc.abstractmethod
    async def _requeue(self, ids: list[JobId]) -> list[JobId]:
        """Put the `failed` ones of `ids` back in the queue; returns those."""

    async def retry_failed(self, ids: list[JobId]) -> None:
        """Put `failed` jobs back in the queue with their attempts reset (`join` then
        waits for them too)."""
        self.__outstanding.update(await self._requeue(ids))

    # --- lifecycle ---------------------------------------------------------------------

    def register(self, item_type: type[msgspec.Struct], handler: Handler) -> None:
        """A kind of job this backend enqueues (and consumes, when it works)."""
        kind = job_kind(item_type, handler)
        self.kinds[kind.name] = kind
        if self.__runner is not None:
            self.__runner.add(kind.name, self.__executor(kind))

    def every(self, cron: str, item: msgspec.Struct) -> None:
        """Enqueue `item` on the cron schedule `cron` (five fields, or six with seconds
        last, as croniter reads them); one consuming process fires each due tick."""
        croniter: Any = importlib.import_module("croniter").croniter  # pgqueuer's, untyped

        kind = self.kinds.get(kind_name(type(item)))
        if kind is None:
            raise WiringError(
                f"every({cron!r}, {type(item).__qualname__}(...)): register the item's "
                f"handler first"
            )
        if not croniter.is_valid(cron):
            raise WiringError(f"every({cron!r}, ...): not a valid cron expression")
        payload = kind.encode_item(item)
        name = f"{kind.name}@{hashlib.sha256(payload).hexdigest()[:16]}"
        if (name, cron) in self.__schedules:
            raise WiringError(f"every({cron!r}, {item!r}) is already scheduled")

        async def fire(schedule: object) -> None:
            await self._enqueue(kind, payload, None, None, None)

        self.__schedules[name, cron] = fire
        if self.__runner is not None:
            self.__runner.add_schedule(name, cron, fire)

    def _concurrency(self) -> int | None:
        """Handlers at once when this process consumes (worker mode or `work=True`),
        `None` when it only enqueues; a worker registers the backend it runs."""
        mode = WORKER_MODE.get()
        if mode is not None:
            mode.backends.append(self)
            return mode.concurrency
        return self.concurrency if self.work else None

    async def start(self) -> None:
        await self._open()
        concurrency = self._concurrency()
        if concurrency is not None:
            from .executor import Shift
            from .runner import Runner

            self.__shift = Shift(concurrency)
            self.__outcomes = self._outcomes()
            runner = Runner(
                self._consumer,
                {name: self.__executor(kind) for name, kind in self.kinds.items()},
                self.__shift,
                heartbeat_timeout=self.heartbeat_timeout,
                poll_interval=self.poll_interval,
            )
            for (name, cron), fire in self.__schedules.items():
                runner.add_schedule(name, cron, fire)
            runner.start()
            self.__runner = runner

    def __executor(self, kind: JobKind) -> JobExecutor:
        from pgqueuer.core.executors import EntrypointExecutorParameters

        from .executor import JobExecutor

        assert self.__shift is not None and self.__outcomes is not None
        return JobExecutor(
            EntrypointExecutorParameters(
                concurrency_limit=0, func=cast(Any, kind.handler), on_failure="hold"
            ),
            kind=kind,
            outcomes=self.__outcomes,
            retry=self.retry,
            shift=self.__shift,
        )

    async def stop(self, drain_timeout: float | None) -> None:
        try:
            if self.__runner is not None:
                await self.__runner.stop(drain_timeout)
                self.__runner = None
        finally:
            await self._close()

    # --- request time -----------------------------------------------------------------

    async def enqueue(
        self,
        item: msgspec.Struct,
        *,
        key: str | None = None,
        delay: float | timedelta | None = None,
        run_at: datetime | None = None,
        connection: Any = None,
    ) -> JobId:
        kind = self.kinds.get(kind_name(type(item)))
        if kind is None or kind.item_type is not type(item):
            raise LookupError(
                f"no handler is registered for {type(item).__qualname__}; register one "
                f"before adding its items"
            )
        job_id = await self._enqueue(
            kind, kind.encode_item(item), key, _after(delay, run_at), connection
        )
        self.__outstanding.add(job_id)
        return job_id

    async def join(self) -> None:
        """Wait until every job this process added is done (on whichever worker)."""
        while self.__outstanding:
            done = await self._finished(sorted(self.__outstanding))
            self.__outstanding -= done
            if self.__outstanding:
                await asyncio.sleep(self.join_poll_interval)

    @property
    def pending(self) -> int:
        """Jobs this process added that `join` has not yet seen done."""
        return len(self.__outstanding)


def require(module: str, what: str, extra: str = "postgres-jobs") -> None:
    """The engine's client library is an optional extra: say which one is missing."""
    if importlib.util.find_spec(module) is None:
        raise WiringError(f"{what} needs the {module!r} package: install jero[{extra}]")


def _after(delay: float | timedelta | None, run_at: datetime | None) -> timedelta | None:
    if delay is not None and run_at is not None:
        raise TypeError("give delay= or run_at=, not both")
    if run_at is not None:
        if run_at.tzinfo is None:
            raise TypeError("run_at must be an aware datetime (e.g. datetime.now(UTC))")
        return max(run_at - datetime.now(UTC), timedelta(0))
    if delay is None:
        return None
    after = delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
    if after < timedelta(0):
        raise ValueError(f"delay={delay!r} must not be negative")
    return after
