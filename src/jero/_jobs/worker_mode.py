"""How `jero worker` tells the app's durable backends to consume, without the app knowing.

The command sets `WORKER_MODE` before it starts the app's lifespan; every durable backend
entered during wiring then starts its consumers with the command's concurrency and adds
itself to `backends`, so the command knows what it runs (and that there is something).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WORKER_MODE", "WorkerMode"]


@dataclass
class WorkerMode:
    concurrency: int
    backends: list[Any] = field(default_factory=list[Any])


WORKER_MODE: ContextVar[WorkerMode | None] = ContextVar("jero_worker_mode", default=None)
