"""Where a backend writes what became of each job: the engine keeps the queue, jero keeps
the key, the typed result and the last error, which the queue engine does not."""

from __future__ import annotations

from typing import Protocol

from .model import JobId

__all__ = ["Outcomes"]


class Outcomes(Protocol):
    async def started(self, job_id: JobId) -> None:
        """An attempt began (a store that derives `running` from the engine ignores it)."""
        ...

    async def succeeded(self, job_id: JobId, result: bytes | None) -> None: ...

    async def attempt_failed(self, job_id: JobId, error: str, *, final: bool) -> None:
        """An attempt raised; `final` when no attempt follows (the job is `failed`)."""
        ...

    async def returned(self, job_id: JobId) -> None:
        """A worker shutting down gave the job back to the queue unfinished."""
        ...
