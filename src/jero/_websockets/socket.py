"""`WebSocket[Out]`: the server's end of one connection, typed by what it sends.

Hooks receive it as `socket: WebSocket[Out]`; handing it to other code (a room's member
set) is how a broadcast reaches it. `send` awaits the server, so a client that reads
slowly slows its sender down instead of growing a buffer, for at most
`WebSocketLimits.send_timeout` seconds: past it the client is a slow consumer, and its
socket is closed with 1008.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .._asgi import Message, Send
from .._binding.deadlines import send_within

__all__ = ["WebSocket"]

type Frame = Callable[[Any], Message]
"""Wiring-built: a message of the socket's `Out` type → its `websocket.send` event."""

ACCEPT: Message = {"type": "websocket.accept"}
NORMAL_CLOSURE = 1000
SLOW_CONSUMER = 1008
"""A policy violation: the client did not read what it was sent in time."""
CLOSE_REASON_BYTES = 123
"""A close frame's reason fits in 123 bytes of UTF-8 (RFC 6455 §5.5)."""


def close_reason(text: str) -> str:
    """`text` cut to what a close frame carries, on a character boundary."""
    data = text.encode()
    if len(data) <= CLOSE_REASON_BYTES:
        return text
    return data[:CLOSE_REASON_BYTES].decode(errors="ignore")


class WebSocket[Out]:
    """One open socket. `await socket.send(message)` sends a message of type `Out`;
    `await socket.close(code, reason)` closes it (the session then ends and the
    `disconnect` hook runs with `code`).

    Sockets compare by identity, so they can be kept in sets.
    """

    __slots__ = (
        "_accepted",
        "_before_close",
        "_closed",
        "_frame",
        "_send",
        "_send_timeout",
        "close_code",
    )

    def __init__(
        self,
        send: Send,
        frame: Frame,
        before_close: Callable[[], Awaitable[None]],
        send_timeout: float | None = None,
    ) -> None:
        self._send = send
        self._frame = frame
        self._before_close = before_close
        self._send_timeout = send_timeout
        self._accepted = False
        self._closed = False
        self.close_code: int | None = None
        """The close code once the socket closed (sent by either side), else None."""

    @property
    def closed(self) -> bool:
        """True once either side closed the socket: `send` then sends nothing."""
        return self._closed

    async def send(self, message: Out) -> bool:
        """Send one message; False (and nothing sent) when the socket is already closed,
        so a broadcast over many sockets need not guard each send. Also False when the
        client did not take it within the send timeout: the socket is then closed 1008."""
        if self._closed:
            return False
        if not self._accepted:
            await self.accept()
        timeout = self._send_timeout
        try:
            if timeout is None:
                await self._send(self._frame(message))
            elif not await send_within(self._send, self._frame(message), timeout):
                reason = f"the client did not take a message within {timeout:g} seconds"
                await self.close(SLOW_CONSUMER, reason)
                return False
        except OSError:
            # The connection is gone; its close code comes with the disconnect event.
            self._closed = True
            return False
        return True

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the socket with `code` and `reason` (once; later calls do nothing),
        accepting it first if `connect` had not yet. The session stops taking messages;
        a `receive` hook that is running finishes first."""
        if self._closed:
            return
        self.mark_closed(code)
        await self._before_close()
        frame: Message = {"type": "websocket.close", "code": code, "reason": close_reason(reason)}
        try:
            if not self._accepted:
                # Closing before accepting would turn into an HTTP 403 without the code;
                # refusing a handshake is what raising an HTTPError in `connect` is for.
                await self.accept()
            if self._send_timeout is None:
                await self._send(frame)
            else:  # a client that reads nothing would not take the close frame either
                await send_within(self._send, frame, self._send_timeout)
        except (OSError, RuntimeError):
            pass  # the connection is already gone: there is no one left to tell

    # --- jero's own ------------------------------------------------------------------

    @property
    def accepted(self) -> bool:
        return self._accepted

    async def accept(self) -> None:
        """Complete the handshake (done for you after `connect`, or at the first send)."""
        if not self._accepted:
            self._accepted = True
            await self._send(ACCEPT)

    def mark_closed(self, code: int) -> None:
        """Either side closed with `code`; the first code known stands."""
        self._closed = True
        if self.close_code is None:
            self.close_code = code
