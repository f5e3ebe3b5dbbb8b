"""`jero worker module:app`: run an app's durable background jobs, serving no HTTP.

The app is started exactly as a server would start it (lifespan startup, so `_wire`
runs and its services open), with worker mode on: every durable backend it creates
consumes jobs with `--concurrency` handlers at once. SIGTERM or SIGINT starts the
shutdown: no new job is taken, running ones get the tasks' `drain_timeout` to finish,
and what is still running then goes back to the queue for another worker.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from .errors import CommandError
from .framework import AnyApp
from .lifespan import started

__all__ = ["run_worker"]

logger = logging.getLogger("jero")


def run_worker(app: AnyApp, target: str, concurrency: int) -> None:
    asyncio.run(_work(app, target, concurrency))


async def _work(app: AnyApp, target: str, concurrency: int) -> None:
    from .._jobs.worker_mode import WORKER_MODE, WorkerMode

    mode = WorkerMode(concurrency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    token = WORKER_MODE.set(mode)  # copied into the lifespan task started below
    try:
        async with started(app):
            if not mode.backends:
                raise CommandError(
                    f"{target} creates no durable background tasks; give "
                    f"_create_background_tasks a backend= (e.g. PostgresJobs)"
                )
            kinds = sorted(name for backend in mode.backends for name in backend.kinds)
            logger.info(
                "jero worker: %d job kind(s), concurrency %d: %s",
                len(kinds),
                concurrency,
                ", ".join(kinds),
            )
            await stop.wait()
            logger.info("jero worker: stopping; running jobs finish or go back to the queue")
    finally:
        WORKER_MODE.reset(token)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
