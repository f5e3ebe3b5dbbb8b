"""One connection at request time: handshake, the message loop, and teardown.

    websocket.connect → bind the handshake sources (auth first) → connect hook → accept
    → reader task: receive() → size check → bounded queue ─┐
    → dispatcher:  queue → decode → receive hook, in order ◄┘
    → teardown, exactly once and shielded: close frame if still open, disconnect hook

A refused handshake (an `HTTPError` from binding, authentication or `connect`) is
answered with the problem document as an HTTP response when the server advertises the
`websocket.http.response` extension, and otherwise accepted and closed with 1008 and the
problem `type` as reason. How the session ends decides the close code:

| cause                                         | close code              |
| --------------------------------------------- | ----------------------- |
| the client closes                             | the client's code       |
| `await socket.close(code, reason)`            | `code`                  |
| a message that fails the `In` type            | 1007, msgspec's reason  |
| a text frame for `bytes` (or the reverse)     | 1003                    |
| a message over `max_message_size`             | 1009                    |
| more than `max_queued_messages` waiting       | 1009                    |
| more than `max_queued_bytes` waiting          | 1009                    |
| a `send` not taken within `send_timeout`      | 1008 (a slow consumer)  |
| `receive` raises an `HTTPError`               | 4000 + status, `type`   |
| `receive` raises anything else (logged)       | 1011                    |
| the app shuts down                            | 1001                    |

After the client closed, messages already received are still handled (a last message
followed by a close is not lost); `send` then returns False.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

import anyio

from .._asgi import Message, Receive, Scope, Send
from .._errors import HTTPError, InternalServerError
from .._rendering.negotiation import ProblemSender, send_json_problem
from .codecs import MessageRejected
from .socket import WebSocket
from .wiring import SocketPlan

__all__ = ["DENIAL_EXTENSION", "Session", "deny"]

logger = logging.getLogger("jero")

DENIAL_EXTENSION = "websocket.http.response"
GOING_AWAY = 1001
ABNORMAL = 1006
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
APPLICATION_BASE = 4000
"""`receive` raising an `HTTPError` closes with 4000 + its status (4403, 4409...)."""

_INTERNAL = InternalServerError()
CLOSE_SEND_TIMEOUT = 2.0
"""Seconds the teardown waits for the server to take the 1001 close frame."""


def supports_denial(scope: Scope) -> bool:
    extensions = scope.get("extensions")
    return bool(extensions) and DENIAL_EXTENSION in extensions


async def deny(
    scope: Scope, send: Send, error: HTTPError[Any], problem: ProblemSender = send_json_problem
) -> None:
    """Refuse a handshake that never reached a socket (no route, not ready)."""
    if supports_denial(scope):
        await _send_denial(send, error, scope, problem)
    else:
        # Closing before accepting would be a bare 403 to the client, with no reason:
        # accept, then close with 1008 and the problem `type`, as a refused handshake is.
        await send({"type": "websocket.accept"})
        reason = type(error).type
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})


async def _send_denial(
    send: Send, error: HTTPError[Any], scope: Scope, problem: ProblemSender
) -> None:
    """The app's error answer, as the denial response extension's messages."""

    async def as_denial(message: Message) -> None:
        await send({**message, "type": f"websocket.{message['type']}"})

    await problem(as_denial, error, False, scope)


class Session:
    """One connection; `run` returns once it is closed and torn down."""

    __slots__ = (
        "_bound",
        "_by_server",
        "_opened",
        "_reader",
        "_reader_done",
        "_receiving",
        "plan",
        "problem",
        "receive",
        "scope",
        "send",
        "socket",
        "values",
    )

    def __init__(
        self,
        plan: SocketPlan,
        scope: Scope,
        receive: Receive,
        send: Send,
        values: Sequence[str],
        *,
        problem: ProblemSender = send_json_problem,
    ) -> None:
        self.plan = plan
        self.problem = problem
        self.scope = scope
        self.receive = receive
        self.send = send
        self.values = values
        self.socket: WebSocket[Any] = WebSocket(
            send, plan.frame, self._closed_by_server, plan.limits.send_timeout
        )
        self._bound: dict[str, Any] = {}
        self._opened = False
        self._by_server = False
        self._reader = anyio.CancelScope()
        self._reader_done = anyio.Event()
        self._receiving = False

    async def run(self) -> None:
        try:
            if await self._handshake():
                await self._loop()
        finally:
            with anyio.CancelScope(shield=True):
                await self._teardown()

    # --- handshake -----------------------------------------------------------------

    async def _handshake(self) -> bool:
        """Bind, authenticate and run `connect`; False when the handshake was refused."""
        plan = self.plan
        try:
            bound = self._bound = await plan.bind(self.scope, self.receive, self.values)
            bound["socket"] = self.socket
            if plan.connect is not None:
                await plan.connect.method(*plan.connect.arguments(bound))
        except HTTPError as error:
            await self._refuse(error)
            return False
        except Exception:
            logger.exception(
                "Unhandled error in %s (WebSocket %s)", plan.where("connect"), plan.path
            )
            await self._refuse(_INTERNAL)
            return False
        self._opened = True
        if self.socket.closed:
            return False  # connect closed the socket itself
        await self.socket.accept()
        return True

    async def _refuse(self, error: HTTPError[Any]) -> None:
        socket = self.socket
        if socket.closed:
            return
        if not socket.accepted and supports_denial(self.scope):
            socket.mark_closed(POLICY_VIOLATION)
            await _send_denial(self.send, error, self.scope, self.problem)
            return
        code = INTERNAL_ERROR if error is _INTERNAL else POLICY_VIOLATION
        await socket.accept()
        await socket.close(code, type(error).type)

    # --- messages ------------------------------------------------------------------

    async def _loop(self) -> None:
        limits = self.plan.limits
        queue = _Inbox(limits.max_queued_messages, limits.max_queued_bytes)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._read, queue)
                await self._dispatch(queue)
                group.cancel_scope.cancel()
        finally:
            queue.clear()  # what was never handled is given back now, not with the session

    async def _read(self, queue: _Inbox) -> None:
        """Pull events from the server into the queue until either side closes."""
        limit = self.plan.limits.max_message_size
        socket = self.socket
        try:
            with self._reader:
                await self._read_into(queue, socket, limit)
        finally:
            queue.close()
            self._reader_done.set()

    async def _read_into(self, queue: _Inbox, socket: WebSocket[Any], limit: int) -> None:
        while True:
            self._receiving = True
            try:
                message = await self.receive()
            except OSError:
                socket.mark_closed(ABNORMAL)
                return
            finally:
                self._receiving = False
            kind = message["type"]
            if kind == "websocket.disconnect":
                socket.mark_closed(message.get("code") or 1005)
                return
            if kind != "websocket.receive":
                continue
            size = _size(message, limit)
            if size > limit:
                await socket.close(MESSAGE_TOO_BIG, f"a message is limited to {limit} bytes")
                return
            refused = queue.put(message, size)
            if refused is not None:
                await socket.close(MESSAGE_TOO_BIG, refused)
                return

    async def _dispatch(self, queue: _Inbox) -> None:
        """Decode each message and hand it to `receive`, in order, one at a time."""
        plan = self.plan
        decode = plan.decode
        call = plan.receive
        if call is None:
            method, arguments, slot = _nothing, [], 0
        else:
            method, arguments = call.method, call.arguments({**self._bound, "message": None})
            slot = call.names.index("message")
        socket = self.socket
        while (message := await queue.get()) is not None:
            if self._by_server:
                return
            try:
                arguments[slot] = decode(message)
            except MessageRejected as rejected:
                await socket.close(rejected.code, rejected.reason)
                return
            try:
                await method(*arguments)
            except HTTPError as error:
                await socket.close(APPLICATION_BASE + type(error).status, type(error).type)
                return
            except Exception:
                logger.exception(
                    "Unhandled error in %s (WebSocket %s)", plan.where("receive"), plan.path
                )
                await socket.close(INTERNAL_ERROR, "internal error")
                return

    async def _closed_by_server(self) -> None:
        """Before the app's close frame goes out: stop the reader and wait until its
        `receive()` is no longer pending (granian 2.8 does not deliver a close frame
        while a receive is outstanding on the same socket)."""
        self._by_server = True
        if self._receiving:
            self._reader.cancel()
            await self._reader_done.wait()

    # --- teardown ------------------------------------------------------------------

    def going_away(self) -> None:
        """The app shuts down: the session's scope is about to be cancelled."""
        self._by_server = True

    async def _teardown(self) -> None:
        socket = self.socket
        if not socket.closed:
            # Only cancellation ends a session with the socket still open: shutdown. A
            # server that is stopping may never complete this send (granian 2.8 was seen
            # to hang here): the teardown must not wait on it for ever.
            with anyio.move_on_after(CLOSE_SEND_TIMEOUT):
                await socket.close(GOING_AWAY, "the server is shutting down")
        call = self.plan.disconnect
        if not self._opened or call is None:
            return
        self._bound["code"] = socket.close_code or ABNORMAL
        try:
            await call.method(*call.arguments(self._bound))
        except Exception:
            logger.exception(
                "Unhandled error in %s (WebSocket %s)",
                self.plan.where("disconnect"),
                self.plan.path,
            )


class _Inbox:
    """The bounded queue between the reader and the dispatcher: a deque and, only while
    the dispatcher waits on an empty queue, one event (an anyio memory stream costs
    several times more per message; benchmarks/ws_echo.py shows it). Bounded in
    messages and in bytes."""

    __slots__ = ("_bytes", "_closed", "_items", "_waiter", "limit", "max_bytes")

    def __init__(self, limit: int, max_bytes: int) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._items: deque[tuple[Message, int]] = deque()
        self._bytes = 0
        self._waiter: anyio.Event | None = None
        self._closed = False

    def put(self, message: Message, size: int) -> str | None:
        """Queue `message` of `size` bytes; the reason it is refused when the queue is
        full (the first message waiting is always let in, whatever its size)."""
        items = self._items
        if len(items) >= self.limit:
            return f"more than {self.limit} messages are waiting to be handled"
        if items and self._bytes + size > self.max_bytes:
            return f"more than {self.max_bytes} bytes of messages are waiting to be handled"
        items.append((message, size))
        self._bytes += size
        self._wake()
        return None

    def close(self) -> None:
        self._closed = True
        self._wake()

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def _wake(self) -> None:
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None

    async def get(self) -> Message | None:
        """The next message, or None once closed and drained."""
        while not self._items:
            if self._closed:
                return None
            waiter = self._waiter = anyio.Event()
            await waiter.wait()
        message, size = self._items.popleft()
        self._bytes -= size
        return message


async def _nothing(*arguments: Any) -> None:
    return None


def _size(message: Message, limit: int) -> int:
    """The message's size in bytes; text is only encoded when it might be over `limit`."""
    data = message.get("bytes")
    if data is not None:
        return len(data)
    text: str = message.get("text") or ""
    if len(text) * 4 <= limit:  # UTF-8 takes at most 4 bytes a character
        return len(text)
    return len(text.encode())
