"""Background tasks: an in-process queue of Struct items and one worker that handles them.

    tasks = await self._create_background_tasks(drain_timeout=30.0, maxsize=1024)
    tasks.register(send_welcome_email)          # async def send_welcome_email(item: Welcome)
    await tasks.add(Welcome(user_id="42"))      # in a handler; waits while the queue is full

The app enters the queue on its lifecycle stack, so at shutdown it drains before any
service entered earlier closes: a handler still running sees its clients open. Work
not finished within `drain_timeout` seconds is cancelled, and what was lost is logged.

With `backend=` (a durable backend from `jero._jobs`) the same object enqueues into a
database instead, and workers (`jero worker`) run the handlers; this module only
delegates to it.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
import anyio.abc
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._errors import WiringError
from ._jobs.model import JobId, JobStatus
from ._types import is_struct_type

if TYPE_CHECKING:
    from ._jobs.backend import JobBackend

__all__ = ["BackgroundTasks"]

logger = logging.getLogger("jero")

type TaskHandler[T] = Callable[[T], Awaitable[object]]


class BackgroundTasks:
    """A bounded queue of `msgspec.Struct` items, dispatched by exact type to handlers.

    Create it in `_wire` with `await self._create_background_tasks(...)`; scripts may
    use it directly as `async with BackgroundTasks() as tasks:`.

    - `drain_timeout`: seconds the shutdown waits for queued work; `None` drops it at once.
    - `maxsize`: queued items before `add` waits (backpressure).
    - `allow_one_to_many`: let several handlers share one item type (run in order).
    - `backend`: a durable backend (`PostgresJobs`, `MemoryJobs`); `None` is this
      in-process queue.
    """

    def __init__(
        self,
        *,
        drain_timeout: float | None = 30.0,
        maxsize: int = 1024,
        allow_one_to_many: bool = False,
        backend: JobBackend | None = None,
    ) -> None:
        if backend is not None and allow_one_to_many:
            raise WiringError(
                "BackgroundTasks: allow_one_to_many=True needs the in-process queue; a "
                "durable backend runs one handler per item type (one job, one result)"
            )
        if drain_timeout is not None and not drain_timeout >= 0:
            raise WiringError(
                f"BackgroundTasks: drain_timeout={drain_timeout!r} must be a number of "
                f"seconds >= 0, or None to drop queued work at shutdown"
            )
        size = typing.cast(object, maxsize)  # callers without a type checker pass anything
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise WiringError(f"BackgroundTasks: maxsize={maxsize!r} must be an int >= 0")
        self.drain_timeout = drain_timeout
        self.maxsize = maxsize
        self.allow_one_to_many = allow_one_to_many
        self.backend = backend
        self.__backend_started = False
        self.__added = 0
        self.__handlers: dict[type[Any], list[TaskHandler[Any]]] = {}
        self.__send: MemoryObjectSendStream[msgspec.Struct] | None = None
        self.__receive: MemoryObjectReceiveStream[msgspec.Struct] | None = None
        self.__group: anyio.abc.TaskGroup | None = None
        self.__drained = anyio.Event()
        self.__in_flight = 0
        self.__unfinished = 0
        """Items added and not yet handled (queued, being sent, or in a handler)."""
        self.__idle: anyio.Event | None = None
        """Set when `__unfinished` drops to 0; created by the first `join` that waits."""

    # --- wiring ----------------------------------------------------------------------

    def register[T: msgspec.Struct](self, handler: TaskHandler[T]) -> None:
        """Handle every queued item of exactly the Struct type `handler` takes."""
        item_type, where = _item_type(handler)
        handlers = self.__handlers.setdefault(item_type, [])
        if handlers and not self.allow_one_to_many:
            raise WiringError(
                f"{where}: {item_type.__qualname__} already has a handler "
                f"({_name(handlers[0])}); give each its own item type, or create the "
                f"tasks with allow_one_to_many=True to run both"
            )
        handlers.append(handler)
        if self.backend is not None:
            self.backend.register(item_type, handler)

    # --- request time ----------------------------------------------------------------

    async def add(
        self,
        item: msgspec.Struct,
        *,
        key: str | None = None,
        delay: float | timedelta | None = None,
        run_at: datetime | None = None,
        connection: Any = None,
    ) -> JobId:
        """Queue `item` for its handler; waits while the queue is full. Returns its id
        (in-process: a sequence number; a durable backend reads the job back by it).

        The keywords need a durable backend: `key` (an idempotency key: adding the same
        key again returns the first job's id and runs nothing), `delay` (seconds or a
        timedelta) or `run_at` (an aware datetime), and `connection` (an asyncpg
        connection in a transaction: the job exists only if that transaction commits).
        """
        backend = self.backend
        if backend is not None:
            if not self.__backend_started:
                raise RuntimeError(_closed_message(item))
            return await backend.enqueue(
                item, key=key, delay=delay, run_at=run_at, connection=connection
            )
        if key is not None or delay is not None or run_at is not None or connection is not None:
            raise TypeError(
                "BackgroundTasks.add: key=, delay=, run_at= and connection= need a durable "
                "backend (_create_background_tasks(backend=PostgresJobs(...)) or MemoryJobs())"
            )
        send = self.__send
        if send is None:
            raise RuntimeError(_closed_message(item))
        self.__unfinished += 1
        try:
            await send.send(item)
        except BaseException as error:
            self.__finished()
            if isinstance(error, anyio.ClosedResourceError | anyio.BrokenResourceError):
                raise RuntimeError(_closed_message(item)) from None
            raise
        self.__added += 1
        return JobId(self.__added)

    async def join(self) -> None:
        """Wait until every item added so far has been handled: the queue is empty and no
        handler is running. Returns at once when there is nothing to wait for; a test
        awaits it instead of polling (`TestClient.call(tasks.join)` from a sync test).
        On a durable backend: every job this process added is done, on any worker."""
        if self.backend is not None:
            await self.backend.join()
            return
        if self.__unfinished == 0:
            return
        if self.__idle is None:
            self.__idle = anyio.Event()
        await self.__idle.wait()

    def __finished(self, count: int = 1) -> None:
        self.__unfinished -= count
        if self.__unfinished == 0 and self.__idle is not None:
            self.__idle.set()
            self.__idle = None

    @property
    def pending(self) -> int:
        """Items queued and not yet taken by the worker (the one being handled is not
        counted): a gauge for metrics. To wait for the work to be done, `await join()`."""
        if self.backend is not None:
            return self.backend.pending
        receive = self.__receive
        return 0 if receive is None else receive.statistics().current_buffer_used

    # --- durable backends ------------------------------------------------------------

    async def status(self, job_id: JobId) -> JobStatus:
        """A job's state, attempts, last error and result (decoded as the handler's
        declared return type); `LookupError` for an unknown id."""
        return await self.__durable("status").status(job_id)

    async def failed(self, limit: int = 100) -> list[JobStatus]:
        """Jobs in the `failed` state (out of attempts, or undecodable), newest first."""
        return await self.__durable("failed").failed(limit)

    async def retry(self, *job_ids: JobId) -> None:
        """Queue `failed` jobs again, with their attempts reset."""
        await self.__durable("retry").retry_failed(list(job_ids))

    def every(self, cron: str, item: msgspec.Struct) -> None:
        """Add `item` periodically, on the cron schedule `cron` (e.g. `"0 3 * * *"`, or
        six fields with seconds last); call it in `_wire` after registering the item's
        handler. Workers fire each due tick once between them."""
        self.__durable("every").every(cron, item)

    def __durable(self, method: str) -> JobBackend:
        if self.backend is None:
            raise RuntimeError(
                f"BackgroundTasks.{method}: the in-process queue keeps no job records; "
                f"create the tasks with a durable backend"
            )
        return self.backend

    # --- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self.__group is not None or self.__backend_started:
            raise RuntimeError("BackgroundTasks is already running")
        if self.backend is not None:
            await self.backend.start()
            self.__backend_started = True
            return self
        send, receive = anyio.create_memory_object_stream[msgspec.Struct](self.maxsize)
        self.__send, self.__receive = send, receive
        self.__drained = anyio.Event()
        group = anyio.create_task_group()
        await group.__aenter__()
        self.__group = group
        group.start_soon(self.__work, receive)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.backend is not None:
            if self.__backend_started:
                self.__backend_started = False  # later adds are refused
                await self.backend.stop(self.drain_timeout)
            return
        group, send, receive = self.__group, self.__send, self.__receive
        if group is None or send is None or receive is None:
            return
        self.__send = None
        send.close()  # the worker ends once the queue is empty; later adds are refused
        try:
            if self.drain_timeout is not None:
                with anyio.move_on_after(self.drain_timeout):
                    await self.__drained.wait()
        finally:
            # Also when the shutdown itself is cancelled: stop the worker, count the loss.
            dropped = 0
            if not self.__drained.is_set():
                dropped = receive.statistics().current_buffer_used + self.__in_flight
            group.cancel_scope.cancel()
            try:
                await group.__aexit__(None, None, None)
            finally:
                self.__group = None
                self.__receive = None
                receive.close()
                if self.__unfinished:  # dropped work is never handled: release joiners
                    self.__finished(self.__unfinished)
                if dropped:
                    logger.warning(
                        "Background tasks: dropped %d unfinished item(s) at shutdown (%s)",
                        dropped,
                        "drain_timeout=None"
                        if self.drain_timeout is None
                        else f"not done within drain_timeout={self.drain_timeout}s",
                    )

    async def __work(self, receive: MemoryObjectReceiveStream[msgspec.Struct]) -> None:
        """The one worker: take each item in order and run its handlers to completion."""
        async for item in receive:
            self.__in_flight = 1
            try:
                await self.__dispatch(item)
            finally:
                self.__in_flight = 0
                self.__finished()
        self.__drained.set()

    async def __dispatch(self, item: msgspec.Struct) -> None:
        handlers = self.__handlers.get(type(item))
        if not handlers:
            logger.error(
                "Background tasks: no handler registered for %s; the item was dropped",
                type(item).__qualname__,
            )
            return
        for handler in handlers:
            try:
                await handler(item)
            except Exception:
                # One failing item must not stop the queue: log it and go on.
                logger.exception(
                    "Background task %s failed on a %s item",
                    _name(handler),
                    type(item).__qualname__,
                )


def _item_type(handler: Callable[..., Any]) -> tuple[type[msgspec.Struct], str]:
    """The Struct type of the handler's one parameter, or a precise `WiringError`."""
    where = f"BackgroundTasks.register({_name(handler)})"
    target: Any = handler
    if not (inspect.isfunction(handler) or inspect.ismethod(handler)):
        target = getattr(handler, "__call__", handler)  # noqa: B004 - an async callable object
    if not inspect.iscoroutinefunction(target):
        raise WiringError(
            f"{where}: the handler must be `async def`; run blocking work inside it with "
            f"`await anyio.to_thread.run_sync(fn, *args)`"
        )
    parameters = list(inspect.signature(target).parameters.values())
    if len(parameters) != 1 or parameters[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise WiringError(
            f"{where}: the handler must take exactly one positional parameter, the item "
            f"(a msgspec Struct), e.g. `async def handle(item: Welcome) -> None`"
        )
    name = parameters[0].name
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError, AttributeError) as error:
        raise WiringError(
            f"{where}: cannot resolve its annotations ({error}); define the item type at "
            f"module level"
        ) from error
    item_type = hints.get(name)
    if item_type is None:
        raise WiringError(
            f"{where}: parameter `{name}` has no annotation; annotate it with the item's "
            f"msgspec Struct type, which is how items find their handler"
        )
    if not is_struct_type(item_type):
        raise WiringError(
            f"{where}: parameter `{name}` must be annotated with a msgspec Struct (the item "
            f"type to dispatch on), got {getattr(item_type, '__name__', item_type)!r}"
        )
    return item_type, where


def _name(handler: Callable[..., Any]) -> str:
    return getattr(handler, "__qualname__", None) or type(handler).__qualname__


def _closed_message(item: object) -> str:
    return (
        f"BackgroundTasks is not running (shut down, or never started); the "
        f"{type(item).__qualname__} item was not queued"
    )
