"""Services an app creates on its lifecycle stack: background task queues and channel hubs.

`BaseApp` inherits them from `ServiceOwner`; each is entered with `_aenter`, so it closes
at shutdown in reverse order of entry, after the requests, streams and sockets that use
it have ended.
"""

from __future__ import annotations

from ._channels import Backend, Channels, Overflow
from ._jobs.backend import JobBackend
from ._lifecycle import LifecycleOwner
from ._tasks import BackgroundTasks

__all__ = ["ServiceOwner"]


class ServiceOwner(LifecycleOwner):
    """`_create_background_tasks` and `_create_channels`, for `BaseApp` subclasses."""

    async def _create_background_tasks(
        self,
        *,
        drain_timeout: float | None = 30.0,
        maxsize: int = 1024,
        allow_one_to_many: bool = False,
        backend: JobBackend | None = None,
    ) -> BackgroundTasks:
        """A running `BackgroundTasks` queue on the app's lifecycle stack.

        At shutdown it drains (up to `drain_timeout` seconds) before anything entered
        earlier closes, so its handlers can keep using those services. `backend` makes
        it durable (`PostgresJobs`, `MemoryJobs`; see jero._jobs); the default is the
        in-process queue.
        """
        tasks = BackgroundTasks(
            drain_timeout=drain_timeout,
            maxsize=maxsize,
            allow_one_to_many=allow_one_to_many,
            backend=backend,
        )
        return await self._aenter(tasks)

    async def _create_channels(
        self,
        *,
        backend: Backend | None = None,
        buffer: int = 256,
        overflow: Overflow = "drop_oldest",
        publish_timeout: float = 5.0,
    ) -> Channels:
        """A connected `Channels` hub on the app's lifecycle stack (see docs/channels.md).

        `backend` is `InProcessBackend()` by default, or `RedisBackend(url)` /
        `PostgresBackend(dsn)` to span workers and machines. It closes at shutdown after
        the sockets and streams that subscribe to it.
        """
        hub = Channels(backend, buffer=buffer, overflow=overflow, publish_timeout=publish_timeout)
        return await self._aenter(hub)
