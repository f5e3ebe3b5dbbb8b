"""`WebSocketEndpoint`: a class whose method names are the hooks of one socket's life,
and `WebSocketLimits`, the per-socket bounds on what a client may send.

    class ChatSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws"):
        async def connect(self, path: Room, user: User, socket: WebSocket[Said]) -> None: ...
        async def receive(self, message: Say, socket: WebSocket[Said]) -> None: ...
        async def disconnect(self, socket: WebSocket[Said], code: int) -> None: ...

Every hook is optional except that a socket without `receive` accepts no messages.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from .._errors import WiringError

__all__ = ["HOOKS", "Hook", "WebSocketEndpoint", "WebSocketLimits"]

type Encoding = Literal["json", "msgpack"]


@dataclasses.dataclass(frozen=True, slots=True)
class Hook:
    """What a hook method's name means: the extra parameters it may take besides the
    handshake sources (`path`, `params`, `headers`, `cookies`, `raw_headers`, `user`)."""

    name: str
    extras: tuple[str, ...]
    """Parameters only this hook binds: `socket` everywhere, `message` or `code`."""
    required: tuple[str, ...] = ()
    when: str = ""
    """When the framework calls it, for the documentation and error messages."""


HOOKS: dict[str, Hook] = {
    hook.name: hook
    for hook in (
        Hook("connect", ("socket",), when="after authentication, before the socket is accepted"),
        Hook("receive", ("socket", "message"), ("message",), when="for each message, in order"),
        Hook("disconnect", ("socket", "code"), when="once, after the socket closed"),
    )
}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketLimits:
    """What one socket's client may send; a breach closes the socket with 1009.

    Pass as `_include_websocket(endpoint, limits=WebSocketLimits(...))`.
    """

    max_message_size: int = 1024 * 1024
    """Bytes of one message (text is counted UTF-8 encoded)."""
    max_queued_messages: int = 64
    """Messages received but not yet handled by `receive`: a client that runs this far
    ahead of its handler is closed rather than buffered without bound."""
    max_queued_bytes: int = 4 * 1024 * 1024
    """Bytes of those messages together (one message is always let in): the memory a
    client can make the server hold for it, given back when the socket closes."""
    send_timeout: float | None = 10.0
    """Seconds one `send` may wait for the server to take a message. A client that
    stops reading is a slow consumer: its socket is closed with 1008 and `send` returns
    False, so whoever was sending (a room's broadcast) carries on. None: wait forever."""

    def __post_init__(self) -> None:
        for name in ("max_message_size", "max_queued_messages", "max_queued_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise WiringError(f"WebSocketLimits.{name} = {value!r}; give a positive int")
        timeout = self.send_timeout
        if timeout is not None and (type(timeout) not in (int, float) or timeout <= 0):
            raise WiringError(
                f"WebSocketLimits.send_timeout = {timeout!r}; give seconds (> 0) or None"
            )


class WebSocketEndpoint:
    """One WebSocket route at `path=`; define any of the hooks `connect`, `receive`,
    `disconnect` as `async def` (see `HOOKS`).

    Class options: `path=` (a template as for `Endpoint`), `encoding=` — how Struct
    messages the server sends travel: `"json"` (text frames, the default) or
    `"msgpack"` (binary frames). Received Struct messages may come either way: text
    frames are decoded as JSON, binary frames as MessagePack.
    """

    hooks: ClassVar[dict[str, Hook]] = HOOKS
    mount_path: ClassVar[str | None] = None
    encoding: ClassVar[Encoding] = "json"
    summary: ClassVar[str | None] = None

    def __init_subclass__(
        cls,
        *,
        path: str | None = None,
        encoding: Encoding | None = None,
        summary: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if path is not None:
            cls.mount_path = path
        if encoding is not None:
            if encoding not in ("json", "msgpack"):
                raise WiringError(
                    f"{cls.__qualname__}: encoding={encoding!r}; use 'json' (text frames) "
                    f"or 'msgpack' (binary frames)"
                )
            cls.encoding = encoding
        if summary is not None:
            cls.summary = summary
