"""How one job runs on a worker: decode the item, call the typed handler, record the
outcome, and turn a failure into the engine's retry with backoff or its failed state.

Runs inside pgqueuer's dispatch: raising `RetryRequested` makes pgqueuer put the job
back with a later `execute_after` and one more attempt; any other exception is a
terminal failure, which the entrypoint's `on_failure="hold"` keeps as `failed`.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass, field
from datetime import timedelta

from pgqueuer.core.executors import EntrypointExecutor
from pgqueuer.domain import errors, models

from .kinds import JobKind, UndecodablePayload
from .model import JobId, RetryPolicy
from .outcomes import Outcomes

__all__ = ["JobExecutor", "Shift"]

logger = logging.getLogger("jero")


class JobFailed(Exception):
    """The terminal failure pgqueuer records; the message is the handler's error."""


@dataclass
class Shift:
    """What the jobs of one worker share: its concurrency and its shutdown signal.

    `returning` is set when the shutdown's drain time is up: running handlers are
    cancelled and their jobs go back to the queue for another worker (an attempt).
    """

    concurrency: int
    returning: asyncio.Event = field(default_factory=asyncio.Event)
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.concurrency)


@dataclass
class JobExecutor(EntrypointExecutor):
    kind: JobKind = field(kw_only=True)
    outcomes: Outcomes = field(kw_only=True)
    retry: RetryPolicy = field(kw_only=True)
    shift: Shift = field(kw_only=True)

    async def execute(self, job: models.Job, context: models.Context) -> None:
        job_id = JobId(int(job.id))
        try:
            item = self.kind.decode_item(job.payload)
        except UndecodablePayload as error:
            logger.error("Job %d (%s) failed: %s", job_id, self.kind.name, error)
            await self.outcomes.attempt_failed(job_id, str(error), final=True)
            raise JobFailed(str(error)) from None
        async with self.shift.slots:
            if self.shift.returning.is_set():
                await self.__give_back(job_id)
            await self.outcomes.started(job_id)
            run = asyncio.ensure_future(self.kind.handler(item))
            stop = asyncio.ensure_future(self.shift.returning.wait())
            try:
                await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                run.cancel()  # the dispatch itself was cancelled: take the handler along
                raise
            finally:
                stop.cancel()
            if not run.done():
                run.cancel()
                await asyncio.wait({run})
            if run.cancelled():
                await self.__give_back(job_id)
            error = run.exception()
            if error is None:
                await self.__succeeded(job_id, run.result())
                return
        await self.__failed(job, job_id, error)

    async def __succeeded(self, job_id: JobId, result: object) -> None:
        try:
            await self.outcomes.succeeded(job_id, self.kind.encode_result(result))
        except Exception as error:
            # The handler's work is done but not recorded (the database went away): run
            # the job again rather than report a success nobody can read back.
            logger.warning(
                "Job %d (%s): its result was not recorded (%s); it will run again",
                job_id,
                self.kind.name,
                error,
            )
            raise errors.RetryRequested(delay=self.retry.delay(0), reason=str(error)) from error

    async def __give_back(self, job_id: JobId) -> None:
        try:
            await self.outcomes.returned(job_id)
        except Exception as error:  # the queue still takes the job back
            logger.warning(
                "Job %d (%s): its return was not recorded (%s)", job_id, self.kind.name, error
            )
        raise errors.RetryRequested(delay=timedelta(0), reason="the worker shut down")

    async def __failed(self, job: models.Job, job_id: JobId, error: BaseException) -> None:
        message = "".join(traceback.format_exception_only(error)).strip()
        final = job.attempts + 1 >= self.retry.max_attempts
        logger.warning(
            "Job %d (%s) attempt %d of %d failed: %s",
            job_id,
            self.kind.name,
            job.attempts + 1,
            self.retry.max_attempts,
            message,
        )
        try:
            await self.outcomes.attempt_failed(job_id, message, final=final)
        except Exception as record_error:  # the engine still retries or holds the job
            logger.warning(
                "Job %d (%s): the failure was not recorded (%s)",
                job_id,
                self.kind.name,
                record_error,
            )
        if final:
            raise JobFailed(message) from error
        raise errors.RetryRequested(delay=self.retry.delay(job.attempts), reason=message)
