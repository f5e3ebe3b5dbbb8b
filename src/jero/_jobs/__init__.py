"""Durable background jobs: `BackgroundTasks` backends on an engine people already run.

`PostgresJobs` keeps jobs in PostgreSQL through pgqueuer (on asyncpg), so a job can be
enqueued inside the app's own transaction; `MemoryJobs` runs the same engine in memory
for unit tests; `jero worker module:app` consumes. pgqueuer is an optional extra
(`jero[postgres-jobs]`): nothing here imports it until a backend is created.
"""

from .backend import JobBackend
from .memory import MemoryJobs
from .model import JobId, JobState, JobStatus, RetryPolicy
from .postgres import PostgresJobs

__all__ = [
    "JobBackend",
    "JobId",
    "JobState",
    "JobStatus",
    "MemoryJobs",
    "PostgresJobs",
    "RetryPolicy",
]
