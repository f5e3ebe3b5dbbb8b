"""The consuming side of a backend: pgqueuer's QueueManager, restarted when the database
goes away, stopped gracefully.

pgqueuer picks jobs with `FOR UPDATE SKIP LOCKED`, keeps a heartbeat on each running
job, and re-picks a job whose heartbeat stopped (its worker was killed): that is the
at-least-once delivery. When the connection breaks (the database restarted), `run`
raises; this loop logs it and starts a new manager on a new connection, with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from pgqueuer.core.qm import QueueManager
from pgqueuer.core.sm import SchedulerManager
from pgqueuer.domain.models import Schedule
from pgqueuer.ports import RepositoryPort

from .executor import JobExecutor, Shift

__all__ = ["Runner"]

logger = logging.getLogger("jero")

type QueriesFactory = Callable[[], AbstractAsyncContextManager[RepositoryPort]]
type Fire = Callable[[Schedule], Awaitable[None]]

RESTART_DELAYS = (0.1, 0.5, 1.0, 2.0)


class Runner:
    """Consume jobs with `executors` until `stop`; survive connection loss."""

    def __init__(
        self,
        connect: QueriesFactory,
        executors: dict[str, JobExecutor],
        shift: Shift,
        *,
        heartbeat_timeout: float,
        poll_interval: float,
    ) -> None:
        self.connect = connect
        self.executors = executors
        self.shift = shift
        self.heartbeat_timeout = timedelta(seconds=heartbeat_timeout)
        self.poll_interval = timedelta(seconds=poll_interval)
        self.stopping = asyncio.Event()
        self.schedules: dict[tuple[str, str], Fire] = {}
        """(name, cron expression) -> what enqueues the periodic job when it is due."""
        self.__manager: QueueManager | None = None
        self.__scheduler: SchedulerManager | None = None
        self.__schedules_changed = asyncio.Event()
        self.__task: asyncio.Task[None] | None = None
        self.__has_kinds = asyncio.Event()
        if executors:
            self.__has_kinds.set()

    def add(self, name: str, executor: JobExecutor) -> None:
        """A kind registered after the runner started: the live manager picks it up."""
        self.executors[name] = executor
        self.__has_kinds.set()
        if self.__manager is not None and name not in self.__manager.entrypoint_registry:
            self.__manager.register_executor(name, executor)

    def start(self) -> None:
        self.__task = asyncio.create_task(self.__loop(), name="jero job runner")

    async def stop(self, drain_timeout: float | None) -> None:
        """Take no new job; let running ones finish for `drain_timeout` seconds, then
        return the rest to the queue (`None` returns them at once)."""
        task = self.__task
        if task is None:
            return
        self.stopping.set()
        if self.__manager is not None:
            self.__manager.shutdown.set()
        if self.__scheduler is not None:
            self.__scheduler.shutdown.set()
        done, _ = await asyncio.wait({task}, timeout=drain_timeout or 0)
        if not done:
            self.shift.returning.set()
            done, _ = await asyncio.wait({task}, timeout=10.0)
        if not done:  # a handler that ignores cancellation; the heartbeat gives it back
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.__task = None

    async def __loop(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                await self.__run_once()
                failures = 0
            except Exception as error:
                delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
                failures += 1
                logger.warning(
                    "Job worker lost its database (%s: %s); reconnecting in %.1f s",
                    type(error).__name__,
                    error,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)

    async def __run_once(self) -> None:
        # Handlers are registered just after the tasks are created: wait for one.
        waiting = asyncio.ensure_future(self.__has_kinds.wait())
        stopping = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()
        if self.stopping.is_set():
            return
        async with self.connect() as queries:
            manager = QueueManager(queries)
            for name, executor in list(self.executors.items()):
                manager.register_executor(name, executor)
            self.__manager = manager
            if self.stopping.is_set():
                return
            concurrency = max(self.shift.concurrency, 2)
            consume = manager.run(
                dequeue_timeout=self.poll_interval,
                batch_size=max(concurrency // 2, 1),
                max_concurrent_tasks=concurrency,
                heartbeat_timeout=self.heartbeat_timeout,
                shutdown_on_listener_failure=True,
            )
            runs = [asyncio.ensure_future(consume), asyncio.ensure_future(self.__fire(queries))]
            try:
                done, _ = await asyncio.wait(runs, return_when=asyncio.FIRST_COMPLETED)
                for run in done:
                    run.result()
            finally:
                manager.shutdown.set()
                self.__schedules_changed.set()
                if self.__scheduler is not None:
                    self.__scheduler.shutdown.set()
                await asyncio.wait(runs)

    def add_schedule(self, name: str, expression: str, fire: Fire) -> None:
        """A periodic job: the scheduler restarts with it (pgqueuer reads its schedules
        when it starts)."""
        self.schedules[name, expression] = fire
        self.__schedules_changed.set()
        if self.__scheduler is not None:
            self.__scheduler.shutdown.set()

    async def __fire(self, queries: RepositoryPort) -> None:
        """Run pgqueuer's scheduler over the schedules known now, again when one is added;
        its schedule table lets one worker fire each due tick."""
        manager = self.__manager
        while manager is not None and not manager.shutdown.is_set():
            self.__schedules_changed.clear()
            if not self.schedules:
                await self.__schedules_changed.wait()
                continue
            scheduler = SchedulerManager(queries)
            for (name, expression), fire in list(self.schedules.items()):
                scheduler.schedule(name, expression)(fire)
            self.__scheduler = scheduler
            if self.__schedules_changed.is_set() or manager.shutdown.is_set():
                continue
            await scheduler.run()
