"""`Limits.body_timeout`: a deadline on each wait for the next chunk of a request body,
and `Limits.body_min_rate`: one on the whole body.

The whole-body bound costs nothing on the fast path: a body that arrives in one message
never computes it, and a longer one only passes its allowance (`BodyPace.not_after`, a
sum) as the wait's deadline when that comes before the per-chunk one: still one entry in
the watchdog's dict per wait, no timer of its own.

A cancel scope per wait would do, but anyio's costs tens of microseconds and even
`asyncio.timeout` arms a timer per call, while most bodies arrive in one message that is
already there. So on asyncio one watchdog per event loop keeps the waiting tasks and
their deadlines in a dict (an insert and a pop per wait) and sleeps on a single timer
until the earliest deadline; a task still waiting then is cancelled, and its wait turns
the cancellation into `BodyTimeoutError`. Elsewhere (trio), an anyio cancel scope bounds
each wait.

The wait is registered in the watchdog whether or not the receive will have to wait:
there is no cheap way to know beforehand. Stepping the receive's coroutine by hand to
find out costs a `StopIteration` per message, more than the dict entry. And granian's
receive hands back a future that is never done yet, so there every receive goes through
the event loop anyway.
"""

from __future__ import annotations

import asyncio
import weakref
from asyncio import current_task, get_running_loop
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any, cast

import anyio

from .._asgi import Message, Receive, Send
from .._errors import BodyTimeoutError, BodyTooSlowError, RateProblem, TimeoutProblem


def body_timeout(timeout: float) -> BodyTimeoutError:
    """408; the connection closes, since the rest of the body may still come."""
    return BodyTimeoutError(TimeoutProblem(timeout), headers={"connection": "close"})


_DEFAULT_GRACE = 60.0


class BodyPace:
    """The whole-body allowance of one request body that arrives in several chunks:
    `grace` seconds from the first chunk, plus one second per `rate` bytes received."""

    __slots__ = ("rate", "start")

    def __init__(self, timeout: float | None, rate: float) -> None:
        self.rate = rate
        self.start = monotonic() + (timeout if timeout is not None else _DEFAULT_GRACE)

    def not_after(self, received: int) -> float:
        return self.start + received / self.rate

    def error(self) -> BodyTooSlowError:
        return BodyTooSlowError(RateProblem(self.rate), headers={"connection": "close"})


def body_pace(timeout: float | None, min_rate: float | None) -> BodyPace | None:
    """The pace of a body that did not arrive whole in its first message."""
    return None if min_rate is None else BodyPace(timeout, min_rate)


class _Watchdog:
    """The body waits of one event loop, and the one timer that ends overdue ones.

    Deadlines are `time.monotonic()` values, whatever clock the loop keeps."""

    __slots__ = ("expired", "loop", "timer", "timer_at", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0

    def overdue(self, task: asyncio.Task[Any], error: BaseException) -> bool:
        """A watched wait of `task` raised `error`: take the wait out, and say whether
        `error` is this watchdog's cancellation at the deadline. Either way a
        cancellation of the watchdog's is withdrawn (at zero, uncancel() also clears a
        pending one), so a task cancelled by someone else too stays cancelled."""
        self.waiting.pop(task, None)
        if task not in self.expired:
            return False
        self.expired.discard(task)
        return task.uncancel() == 0 and isinstance(error, asyncio.CancelledError)

    def settle(self, task: asyncio.Task[Any]) -> None:
        """A watched wait of `task` completed while some wait had expired: take it out,
        and if it was this one (it completed just as its deadline passed), keep its
        result and withdraw the cancellation (at zero, uncancel() also clears the
        pending one)."""
        self.waiting.pop(task, None)
        if task in self.expired:
            self.expired.discard(task)
            task.uncancel()

    def schedule(self, at: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at = at
        self.timer = self.loop.call_later(max(0.0, at - monotonic()), self.__sweep)

    def __sweep(self) -> None:
        self.timer = None
        now = monotonic()
        earliest: float | None = None
        for task, deadline in list(self.waiting.items()):
            if deadline <= now:
                del self.waiting[task]
                self.expired.add(task)
                task.cancel()
            elif earliest is None or deadline < earliest:
                earliest = deadline
        if earliest is not None:
            self.schedule(earliest)


_watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Watchdog] = (
    weakref.WeakKeyDictionary()
)


class _Recent:
    """A one-entry cache in front of the weak dict: the watchdog used last, almost
    always the one of the running loop (one per process)."""

    __slots__ = ("watchdog",)

    def __init__(self) -> None:
        self.watchdog: _Watchdog | None = None


recent = _Recent()


def watchdog_of(loop: asyncio.AbstractEventLoop) -> _Watchdog:
    """The watchdog of `loop` (made on first use); callers try `recent.watchdog` first."""
    watchdog = _watchdogs.get(loop)
    if watchdog is None:
        watchdog = _watchdogs[loop] = _Watchdog(loop)
    recent.watchdog = watchdog
    return watchdog


def receive_within(
    receive: Receive,
    timeout: float | None,
    pace: BodyPace | None = None,
    received: int = 0,
) -> Awaitable[Message]:
    """`await receive()`, or `BodyTimeoutError` when nothing came for `timeout` seconds,
    or `BodyTooSlowError` when `pace` allows `received` bytes no more time. (A plain
    function handing back the coroutine that does it: no frame of its own per message.)"""
    if pace is None:
        if timeout is None:
            return receive()
        return receive_by(receive, monotonic() + timeout, timeout)
    return _receive_paced(receive, timeout, pace, received)


async def _receive_paced(
    receive: Receive, timeout: float | None, pace: BodyPace, received: int
) -> Message:
    deadline = monotonic() + timeout if timeout is not None else _FOREVER
    cap = pace.not_after(received)
    slow = cap < deadline
    if slow:
        deadline = cap
    try:
        return await _by(deadline, receive)
    except _Overdue:
        if slow:
            raise pace.error() from None
        raise body_timeout(cast(float, timeout)) from None


async def receive_by(receive: Receive, deadline: float, timeout: float) -> Message:
    """`_by(deadline, receive)` written out: every body's first message comes this way,
    and an extra coroutine frame per body measured as a tenth of a POST's whole cost."""
    try:
        loop = get_running_loop()
    except RuntimeError:  # not asyncio
        loop = None
    task = None if loop is None else current_task(loop)
    if loop is None or task is None:
        try:
            return await _in_scope(deadline, receive)
        except _Overdue:
            raise body_timeout(timeout) from None
    watchdog = recent.watchdog
    if watchdog is None or watchdog.loop is not loop:
        watchdog = watchdog_of(loop)
    watchdog.waiting[task] = deadline
    if watchdog.timer is None or deadline < watchdog.timer_at:
        watchdog.schedule(deadline)
    try:
        message = await receive()
    except BaseException as error:
        if watchdog.overdue(task, error):
            raise body_timeout(timeout) from None
        raise
    if watchdog.expired:  # (the sweep takes out what it cancels)
        watchdog.settle(task)
    else:
        del watchdog.waiting[task]
    return message


async def send_within(send: Send, message: Message, timeout: float) -> bool:
    """`await send(message)`; False when the server had not taken it within `timeout`
    seconds (the send is then cancelled)."""
    try:
        await _by(monotonic() + timeout, send, message)
    except _Overdue:
        return False
    return True


class _Overdue(Exception):
    """The awaited step was cancelled at its deadline."""


async def _by[*A, T](deadline: float, step: Callable[[*A], Awaitable[T]], *arguments: *A) -> T:
    """`await step(*arguments)`, or `_Overdue` once `time.monotonic()` passes `deadline`:
    one entry in the loop's watchdog, no timer of its own."""
    try:
        loop = get_running_loop()
    except RuntimeError:  # not asyncio
        return await _in_scope(deadline, step, *arguments)
    task = current_task(loop)
    if task is None:
        return await _in_scope(deadline, step, *arguments)
    watchdog = recent.watchdog
    if watchdog is None or watchdog.loop is not loop:
        watchdog = watchdog_of(loop)
    watchdog.waiting[task] = deadline
    if watchdog.timer is None or deadline < watchdog.timer_at:
        watchdog.schedule(deadline)
    try:
        result = await step(*arguments)
    except BaseException as error:
        if watchdog.overdue(task, error):
            raise _Overdue from None
        raise
    if watchdog.expired:
        watchdog.settle(task)
    else:
        del watchdog.waiting[task]
    return result


async def _in_scope[*A, T](
    deadline: float, step: Callable[[*A], Awaitable[T]], *arguments: *A
) -> T:
    with anyio.move_on_after(deadline - monotonic()):
        return await step(*arguments)
    raise _Overdue


_FOREVER = float("inf")
