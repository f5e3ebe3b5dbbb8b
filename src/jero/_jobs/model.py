"""The typed vocabulary of durable jobs: ids, states, the status answer, the retry policy.

These are what an app sees of a job; which engine keeps it is the backend's business.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, NewType

import msgspec

from .._errors import WiringError

__all__ = ["JobId", "JobState", "JobStatus", "RetryPolicy"]

JobId = NewType("JobId", int)
"""The id `BackgroundTasks.add` returns; `status(job_id)` reads the job back by it."""

type JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
"""`queued` (waiting, delayed or between retries), `running`, `succeeded`, `failed` (out of
attempts, or a payload that no longer decodes; listed by `failed()`, revived by `retry()`),
`cancelled` (removed from the engine without finishing)."""


class JobStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What is known of one job.

    `result` is what the handler returned, decoded as its declared return type (`None`
    until the job succeeded, or when the handler returns nothing). `error` says why the
    last attempt failed. `attempts` counts the attempts that failed or were returned.
    """

    id: JobId
    type: str
    state: JobState
    attempts: int = 0
    key: str | None = None
    result: Any = None
    error: str | None = None


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a failing job is tried again: attempt n (from 0) waits
    `min(initial_delay * multiplier**n, max_delay)` seconds; after `max_attempts`
    attempts the job is `failed`."""

    max_attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 300.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise WiringError(f"RetryPolicy: max_attempts={self.max_attempts} must be >= 1")
        if not (self.initial_delay >= 0 and self.max_delay >= 0 and self.multiplier >= 1):
            raise WiringError(
                "RetryPolicy: initial_delay and max_delay must be >= 0 seconds, multiplier >= 1"
            )

    def delay(self, attempt: int) -> timedelta:
        """The wait before the attempt after failed attempt number `attempt` (from 0)."""
        seconds = min(self.initial_delay * self.multiplier**attempt, self.max_delay)
        return timedelta(seconds=seconds)
