"""Streaming response wrappers: raw bytes, NDJSON and Server-Sent Events.

A handler returns one of these around an async iterable; the framework sends the
response head at once and then one chunk per item as the iterable yields it.

`stream=` is either the async iterable itself, or a *one-yield async generator* that
opens what the stream needs, yields the iterable, and cleans up after the `yield`:

    async def rows(pool: Pool) -> AsyncIterator[AsyncIterator[Row]]:
        connection = await pool.acquire()
        try:
            yield connection.cursor("SELECT ...")
        finally:
            await pool.release(connection)

The framework resumes that generator exactly once whatever ends the stream (the
iterable is exhausted, the client disconnects, the server shuts down, or the stream
raises), shielded from cancellation, so an `await` in its teardown always completes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from .._rendering.responses import ExtraHeaders, HeadFields

if TYPE_CHECKING:
    from .._rendering.cookies import SetCookie

__all__ = [
    "NDJSONStreamingResponse",
    "SSEResponse",
    "ServerSentEvent",
    "StreamSource",
    "StreamingResponse",
]

type StreamSource[T] = AsyncIterable[T] | AsyncIterator[AsyncIterable[T]]
"""An async iterable of items, or a one-yield async generator that yields one."""


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSentEvent[T = str]:
    """One SSE event with its optional fields.

    `data` is JSON-encoded when it is a `T`, sent as text when it is a `str` (one `data:`
    line per line of text), and left out when it is None (an event that only sets
    `retry` or `id`). `retry` is the reconnection delay in milliseconds.
    """

    data: T | str | None = None
    _: dataclasses.KW_ONLY
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def __post_init__(self) -> None:
        # A line break in a field would end it early and let the rest pose as new fields.
        for name, value in (("event", self.event), ("id", self.id)):
            if value is not None and ("\n" in value or "\r" in value):
                raise ValueError(f"ServerSentEvent {name} must be one line, got {value!r}")
        if self.id is not None and "\0" in self.id:
            raise ValueError("ServerSentEvent id must not contain NUL")
        retry: Any = self.retry
        if retry is not None and (type(retry) is not int or retry < 0):
            raise ValueError(f"ServerSentEvent retry must be an int >= 0 (ms), got {retry!r}")


def _require_async_iterable(stream: object, wrapper: str) -> None:
    if not hasattr(stream, "__aiter__"):
        raise TypeError(
            f"{wrapper}(stream=...) needs an async iterable or a one-yield async generator, "
            f"got {type(stream).__name__}"
        )


class StreamingResponse[H = None](HeadFields[H]):
    """A body of raw `bytes` chunks, sent as the stream yields them.

    The content type is `media_type`, unless `raw_headers` carries a `content-type`.
    """

    __slots__ = ("media_type", "status_code", "stream")

    def __init__(
        self,
        stream: StreamSource[bytes],
        *,
        media_type: str = "application/octet-stream",
        headers: H | None = None,
        status_code: int | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        _require_async_iterable(stream, "StreamingResponse")
        super().__init__(headers, raw_headers, cookies)
        self.stream = stream
        self.media_type = media_type
        self.status_code = status_code


class NDJSONStreamingResponse[T, H = None](HeadFields[H]):
    """`application/x-ndjson`: each item JSON-encoded on its own line.

    `T` is a msgspec Struct, `list[Struct]`, or a union of tagged Structs.
    """

    __slots__ = ("status_code", "stream")

    def __init__(
        self,
        stream: StreamSource[T],
        *,
        headers: H | None = None,
        status_code: int | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        _require_async_iterable(stream, "NDJSONStreamingResponse")
        super().__init__(headers, raw_headers, cookies)
        self.stream = stream
        self.status_code = status_code


class SSEResponse[T, H = None](HeadFields[H]):
    """`text/event-stream` for a GET handler: items are `T` (sent as JSON data), `str`
    (sent as text data) or `ServerSentEvent[T]` (with `event`, `id`, `retry`).

    `keepalive=seconds` sends a `: ping` comment whenever nothing was sent for that
    long, so proxies and clients keep an idle stream open.
    """

    __slots__ = ("keepalive", "status_code", "stream")

    def __init__(
        self,
        stream: StreamSource[T | str | ServerSentEvent[T]],
        *,
        keepalive: float | None = None,
        headers: H | None = None,
        status_code: int | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        _require_async_iterable(stream, "SSEResponse")
        if keepalive is not None and not keepalive > 0:
            raise ValueError(
                f"SSEResponse keepalive must be a number of seconds > 0, got {keepalive!r}"
            )
        super().__init__(headers, raw_headers, cookies)
        self.stream = stream
        self.keepalive = keepalive
        self.status_code = status_code
