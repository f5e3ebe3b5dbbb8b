"""Reading a streamed response body as it arrives: NDJSON items and SSE events.

Shared by the test clients (`jero.testing.iter_ndjson` and friends) and the typed client
(`jero.client`), which both read httpx responses item by item, so a reader can stop at
any point (and disconnect) without waiting for the stream to end.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, overload

import httpx
import msgspec

from .responses import ServerSentEvent

__all__ = ["aiter_ndjson", "aiter_sse", "iter_ndjson", "iter_sse"]

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class _Lines:
    """Splits body chunks into lines at CR, LF or CRLF, on bytes.

    (httpx's `iter_lines` also splits at U+2028 and other Unicode breaks, which may
    legally appear inside a JSON string.)
    """

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data, hold = self._tail + chunk, b""
        if data.endswith(b"\r"):  # maybe the first half of a CRLF split across chunks
            data, hold = data[:-1], b"\r"
        lines = _LINE_BREAK.split(data)
        self._tail = lines.pop() + hold
        return lines

    def flush(self) -> list[bytes]:
        tail, self._tail = self._tail.removesuffix(b"\r"), b""
        return [tail] if tail else []


class _Events:
    """The SSE event-stream parser: fields accumulate until a blank line ends the event.

    An event is reported when any of `data`, `event`, `id`, `retry` was set; comments
    (such as keepalive pings) are skipped.
    """

    def __init__(self, decode: Callable[[str], Any] | None) -> None:
        self._decode = decode
        self._reset()

    def _reset(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def line(self, raw: bytes) -> ServerSentEvent[Any] | None:
        if not raw:
            return self._dispatch()
        if raw.startswith(b":"):
            return None
        name, colon, value = raw.decode().partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit() and len(value) <= 18:
            self._retry = int(value)  # longer is no delay a client could wait: ignored
        return None

    def _dispatch(self) -> ServerSentEvent[Any] | None:
        fields = (self._event, self._id, self._retry)
        if not self._data and all(value is None for value in fields):
            return None
        data: Any = None
        if self._data:
            text = "\n".join(self._data)
            data = text if self._decode is None else self._decode(text)
        event = ServerSentEvent(data, event=self._event, id=self._id, retry=self._retry)
        self._reset()
        return event


def _ndjson_decoder(item_type: Any) -> Callable[[bytes], Any]:
    return msgspec.json.Decoder(item_type).decode


def _sse_decoder(data_type: Any) -> Callable[[str], Any] | None:
    return None if data_type is None else msgspec.json.Decoder(data_type).decode


@overload
def iter_ndjson[T](response: httpx.Response, item_type: type[T]) -> Iterator[T]: ...
@overload
def iter_ndjson(response: httpx.Response, item_type: Any) -> Iterator[Any]: ...
def iter_ndjson(response: httpx.Response, item_type: Any) -> Iterator[Any]:
    """Decode each line of an `application/x-ndjson` body as `item_type`, as it arrives."""
    decode, lines = _ndjson_decoder(item_type), _Lines()
    for chunk in response.iter_bytes():
        yield from (decode(line) for line in lines.feed(chunk) if line)
    yield from (decode(line) for line in lines.flush())


@overload
def iter_sse(response: httpx.Response) -> Iterator[ServerSentEvent[str]]: ...
@overload
def iter_sse[T](response: httpx.Response, data_type: type[T]) -> Iterator[ServerSentEvent[T]]: ...
@overload
def iter_sse(response: httpx.Response, data_type: Any) -> Iterator[ServerSentEvent[Any]]: ...
def iter_sse(response: httpx.Response, data_type: Any = None) -> Iterator[ServerSentEvent[Any]]:
    """The events of a `text/event-stream` body, as they arrive. `data` is the text as
    sent, or — given `data_type` — that text decoded from JSON."""
    events, lines = _Events(_sse_decoder(data_type)), _Lines()
    for chunk in response.iter_bytes():
        for line in lines.feed(chunk):
            if (event := events.line(line)) is not None:
                yield event


@overload
def aiter_ndjson[T](response: httpx.Response, item_type: type[T]) -> AsyncIterator[T]: ...
@overload
def aiter_ndjson(response: httpx.Response, item_type: Any) -> AsyncIterator[Any]: ...
async def aiter_ndjson(response: httpx.Response, item_type: Any) -> AsyncIterator[Any]:
    """`iter_ndjson` for `AsyncTestClient` (or any httpx async) responses."""
    decode, lines = _ndjson_decoder(item_type), _Lines()
    async for chunk in response.aiter_bytes():
        for line in lines.feed(chunk):
            if line:
                yield decode(line)
    for line in lines.flush():
        yield decode(line)


@overload
def aiter_sse(response: httpx.Response) -> AsyncIterator[ServerSentEvent[str]]: ...
@overload
def aiter_sse[T](
    response: httpx.Response, data_type: type[T]
) -> AsyncIterator[ServerSentEvent[T]]: ...
@overload
def aiter_sse(response: httpx.Response, data_type: Any) -> AsyncIterator[ServerSentEvent[Any]]: ...
async def aiter_sse(
    response: httpx.Response, data_type: Any = None
) -> AsyncIterator[ServerSentEvent[Any]]:
    """`iter_sse` for `AsyncTestClient` (or any httpx async) responses."""
    events, lines = _Events(_sse_decoder(data_type)), _Lines()
    async for chunk in response.aiter_bytes():
        for line in lines.feed(chunk):
            if (event := events.line(line)) is not None:
                yield event
