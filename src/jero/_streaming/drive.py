"""Sending a stream: pull items, send chunks, stop at once on disconnect, tear down once.

The response head goes out with the first chunk (or the first keepalive ping, or the end
of an empty stream): a stream that fails before sending anything — an `HTTPError` raised
in a one-yield generator's setup, or by the first item — is the error's own response, a
problem document rather than an empty 200. `stream_body` runs the pump (pull →
encode → send) in a task group next to a watcher that waits on `receive()` for
`http.disconnect` and cancels the group the moment it arrives, so a stream blocked
waiting for its next item stops immediately too, and one that never awaits stops within
a few chunks (the pump yields to the watcher every `_YIELD_EVERY` chunks). Whatever ends
the stream — the last item, a disconnect, an error, or cancellation from outside — the
teardown runs exactly
once and shielded, so its `await`s complete even while the request is being cancelled.

`ActiveStreams` lets an app end its open streams at shutdown and wait for their
teardown before it closes the services those teardowns may still use.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

import anyio
from anyio.lowlevel import checkpoint

from .._asgi import Message, Receive, Send
from .._plan import Responder

logger = logging.getLogger("jero")

type Encode = Callable[[Any], bytes]
type Emit = Callable[[bytes], Awaitable[None]]

PING = b": ping\n\n"
_YIELD_EVERY = 16
"""Chunks sent between two turns of the event loop: a bound on what a stream generates
after its client left, at the cost of one `sleep(0)` per 16 chunks."""
END: Message = {"type": "http.response.body", "body": b"", "more_body": False}


class _ClientGone(Exception):
    """The server refused a chunk because the connection is closed."""


class _Link:
    """What the pump and its helper tasks share about one response."""

    __slots__ = ("disconnected", "last_sent", "start", "started")

    def __init__(self, start: Message) -> None:
        self.disconnected = False
        self.last_sent = anyio.current_time()
        self.start = start
        """The `http.response.start` message, sent before the first chunk."""
        self.started = False


class _Source:
    """The stream being sent, and — once the first pull tells — its teardown generator."""

    __slots__ = ("items", "outer", "stream", "where")

    def __init__(self, stream: Any, where: str) -> None:
        self.stream = stream
        self.where = where
        self.items: Any = None
        """The iterator items are pulled from; None until the first pull."""
        self.outer: AsyncGenerator[Any] | None = None
        """The one-yield generator that produced `items`, resumed once for teardown."""

    async def pump(self, encode: Encode, emit: Emit) -> None:
        iterator = self.items = aiter(self.stream)
        try:
            first = await anext(iterator)
        except StopAsyncIteration:
            return
        if inspect.isasyncgen(iterator) and hasattr(first, "__aiter__"):
            # The one-yield form: it yielded the iterable, its teardown comes after.
            self.outer = cast(AsyncGenerator[Any], iterator)
            iterator = self.items = aiter(first)
        else:
            await emit(encode(first))
        pending = _YIELD_EVERY
        async for item in iterator:
            await emit(encode(item))
            pending -= 1
            if not pending:
                # A generator that never awaits, sent through a `send` that never
                # suspends, would otherwise run to its end before the disconnect
                # watcher got a turn: let it run (and cancel us) every few chunks.
                pending = _YIELD_EVERY
                await checkpoint()

    async def close(self, error: BaseException | None, cancelled: bool) -> None:
        """Close the iterator, then resume the teardown generator exactly once."""
        items, outer = self.items, self.outer
        if items is None:
            items = self.stream  # never pulled: closing an unstarted generator runs nothing
        if items is not outer:
            await self._call("closing the stream", getattr(items, "aclose", None))
        if outer is None:
            return
        if cancelled:
            await self._call("the stream's teardown", outer.aclose)
        elif error is not None:
            await self._resume(outer, lambda: outer.athrow(error), error)
        else:
            await self._resume(outer, lambda: anext(outer), None)

    async def _resume(
        self, outer: AsyncGenerator[Any], step: Callable[[], Awaitable[Any]], error: Any
    ) -> None:
        try:
            await step()
        except StopAsyncIteration:
            return
        except Exception as raised:
            if raised is not error:
                logger.error("The teardown of the stream of %s failed", self.where, exc_info=raised)
            return
        logger.error(
            "The stream generator of %s yielded more than once; a teardown generator yields "
            "its iterable exactly once",
            self.where,
        )
        await self._call("the stream's teardown", outer.aclose)

    async def _call(self, what: str, close: Callable[[], Awaitable[Any]] | None) -> None:
        if close is None:
            return
        try:
            await close()
        except Exception as raised:
            logger.error("%s of %s failed", what.capitalize(), self.where, exc_info=raised)


async def discard(stream: Any, where: str) -> None:
    """Close a stream that will never be sent (HEAD, or a failure before the body)."""
    with anyio.CancelScope(shield=True):
        await _Source(stream, where).close(None, cancelled=False)


async def stream_body(
    send: Send,
    receive: Receive,
    stream: Any,
    encode: Encode,
    *,
    keepalive: float | None,
    where: str,
    start: Message,
) -> None:
    """Send `start`, every item of `stream` as a body chunk, then end the response.

    A failure before anything was sent is raised (after the stream's teardown), for the
    app to answer as it answers a handler's failure."""
    link = _Link(start)
    source = _Source(stream, where)
    error: Exception | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_watch_disconnect, receive, link, group.cancel_scope)
            emit = _emitter(send, link, keepalive is not None)
            if keepalive is not None:
                group.start_soon(_keep_alive, emit, link, keepalive, group.cancel_scope)
            try:
                await source.pump(encode, emit)
            except _ClientGone:
                link.disconnected = True
            except Exception as raised:
                error = raised
            group.cancel_scope.cancel()
    except BaseException:
        # Cancelled from outside: the server or the app is shutting down.
        with anyio.CancelScope(shield=True):
            await source.close(None, cancelled=True)
        raise
    if error is not None and link.started:
        logger.error("The stream of %s failed; ending the response", where, exc_info=error)
    with anyio.CancelScope(shield=True):
        await source.close(error, cancelled=False)
    if error is not None and not link.started:
        raise error
    if not link.disconnected:
        with contextlib.suppress(OSError):
            if not link.started:
                await send(start)
            await send(END)


def _emitter(send: Send, link: _Link, locked: bool) -> Emit:
    async def emit(body: bytes) -> None:
        if link.disconnected:  # the watcher saw the client leave at the last yield
            raise _ClientGone
        try:
            if not link.started:
                link.started = True
                await send(link.start)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        except OSError as error:
            raise _ClientGone from error

    if not locked:
        return emit
    # With keepalive two tasks send: a lock keeps each chunk whole.
    lock = anyio.Lock()

    async def emit_locked(body: bytes) -> None:
        async with lock:
            await emit(body)
            link.last_sent = anyio.current_time()

    return emit_locked


async def _watch_disconnect(receive: Receive, link: _Link, scope: anyio.CancelScope) -> None:
    """Wait for `http.disconnect` (discarding unread body chunks), then stop the pump."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:
        pass  # a transport that fails here has lost the client too
    link.disconnected = True
    scope.cancel()


async def _keep_alive(emit: Emit, link: _Link, every: float, scope: anyio.CancelScope) -> None:
    """Send a comment whenever nothing was sent for `every` seconds."""
    try:
        while True:
            idle = anyio.current_time() - link.last_sent
            if idle < every:
                await anyio.sleep(every - idle)
            else:
                await emit(PING)
    except _ClientGone:
        link.disconnected = True
        scope.cancel()


class ActiveStreams:
    """The responses an app is streaming, so that shutdown can end them and wait for
    their teardown before the app's services close."""

    __slots__ = ("_closing", "_drained", "_scopes")

    def __init__(self) -> None:
        self._scopes: set[anyio.CancelScope] = set()
        self._closing = False
        self._drained: anyio.Event | None = None

    def guard(self, respond: Responder) -> Responder:
        """Wrap the responder of a handler that may stream."""

        async def guarded(send: Send, value: Any, head: bool, receive: Receive) -> None:
            with anyio.CancelScope() as scope:
                if self._closing:
                    scope.cancel()
                self._scopes.add(scope)
                try:
                    await respond(send, value, head, receive)
                finally:
                    self._scopes.discard(scope)
                    if self._drained is not None and not self._scopes:
                        self._drained.set()

        return guarded

    async def close(self) -> None:
        """Cancel every open stream and wait until each has torn down."""
        self._closing = True
        if not self._scopes:
            return
        self._drained = anyio.Event()
        for scope in list(self._scopes):
            scope.cancel()
        await self._drained.wait()
