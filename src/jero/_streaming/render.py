"""Wiring for streaming returns: check the item type, build the encoders and responders.

`_compile.render` hands any streaming wrapper here. Everything a streamed
response needs except the items themselves is decided now: the item encoder, the
default header block and where the typed headers go.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .._asgi import HeaderList, Receive, Send
from .._errors import WiringError
from .._plan import HeaderEncoder, Responder, ResponseShape
from .._rendering.encoders import CONTENT_TYPE, build_header_encoder, extra_headers, merge_headers
from .._rendering.returns import Expected
from .._types import (
    headers_arg,
    is_json_body_type,
    is_struct_type,
    is_subclass,
    type_name,
    union_members,
)
from .drive import Encode, discard, stream_body
from .responses import NDJSONStreamingResponse, ServerSentEvent, SSEResponse, StreamingResponse

NDJSON = "application/x-ndjson"
EVENT_STREAM = "text/event-stream"

_NDJSON_DEFAULTS: HeaderList = [(CONTENT_TYPE, NDJSON.encode())]
_SSE_DEFAULTS: HeaderList = [
    (CONTENT_TYPE, EVENT_STREAM.encode()),
    # Events are live: no cache may replay them, and proxies must not hold them back.
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]

type StreamMember = tuple[type[Any], Responder, ResponseShape]


def compile_stream_member(
    origin: Any, args: tuple[Any, ...], default_status: int, where: str, expect: Expected
) -> StreamMember | None:
    """The responder for a streaming wrapper annotation, or None for anything else."""
    header_args = args[1:]  # after the item type
    defaults: HeaderList | None
    if is_subclass(origin, StreamingResponse):
        # Raw chunks have no item type; the content type is each value's `media_type`.
        item_type, header_args = bytes, args
        media_type, defaults, encode, keepalive = None, None, _bytes_chunk, False
    elif is_subclass(origin, NDJSONStreamingResponse):
        item_type = _item_type(origin, args, where, allow_str=False)
        media_type, defaults, encode, keepalive = NDJSON, _NDJSON_DEFAULTS, _ndjson_line, False
    elif is_subclass(origin, SSEResponse):
        item_type = _item_type(origin, args, where, allow_str=True)
        media_type, defaults, encode, keepalive = EVENT_STREAM, _SSE_DEFAULTS, _sse_item, True
    else:
        return None
    headers_type = headers_arg(header_args, where)
    encode_headers = build_header_encoder(headers_type)
    responder = _responder(
        default_status, defaults, encode_headers, encode, expect, keepalive=keepalive
    )
    shape = ResponseShape(default_status, media_type, item_type, headers_type, streaming=True)
    return origin, responder, shape


def check_stream_method(shapes: Sequence[ResponseShape], http_method: str, where: str) -> None:
    """Server-Sent Events are read with EventSource, which only ever sends GET."""
    if http_method != "GET" and any(s.media_type == EVENT_STREAM for s in shapes):
        raise WiringError(
            f"{where}: SSEResponse is only for GET handlers (EventSource sends GET), not "
            f"{http_method}; serve the events from a `get` / `read_many` / `read_one` handler, "
            f"or return NDJSONStreamingResponse here"
        )


def _item_type(origin: Any, args: tuple[Any, ...], where: str, *, allow_str: bool) -> Any:
    name: str = origin.__name__
    if not args:
        raise WiringError(f"{where}: {name} needs its item type, e.g. {name}[Widget]")
    item_type = args[0]
    if allow_str and item_type is str:
        return item_type
    if not is_json_body_type(item_type):
        also = ", or str" if allow_str else ""
        raise WiringError(
            f"{where}: {name}[{type_name(item_type)}] must carry a msgspec Struct, "
            f"list[Struct] or a union of tagged Structs{also}"
        )
    is_list = typing.get_origin(item_type) is list
    element = typing.get_args(item_type)[0] if is_list else item_type
    members = union_members(element)
    untagged = [m for m in members if is_struct_type(m) and m.__struct_config__.tag is None]
    if len(members) > 1 and untagged:
        union = " | ".join(type_name(m) for m in members)
        raise WiringError(
            f"{where}: {name}[{union}]: a client can only tell the Structs of a union apart "
            f"by their tags; tag each one, e.g. class {type_name(untagged[0])}(Struct, tag=True)"
        )
    return item_type


# --- responders -------------------------------------------------------------------


def _responder(
    default_status: int,
    defaults: HeaderList | None,
    encode_headers: HeaderEncoder,
    encode: Encode,
    expect: Expected,
    *,
    keepalive: bool = False,
) -> Responder:
    """`defaults` None means the content type is the value's own `media_type`."""
    where, cls = expect.where, expect.cls

    async def respond(send: Send, value: Any, head: bool, receive: Receive) -> None:
        if not isinstance(value, cls):
            raise expect.error(value)
        stream = value.stream
        try:
            extra = extra_headers(encode_headers, value)
            if defaults is None:
                base: HeaderList = [(CONTENT_TYPE, value.media_type.encode("latin-1"))]
            else:
                base = defaults
            headers = merge_headers(base, extra)
            status = value.status_code or default_status
            start = {"type": "http.response.start", "status": status, "headers": headers}
        except BaseException:
            await discard(stream, where)
            raise
        if head:
            await discard(stream, where)
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        every = value.keepalive if keepalive else None
        await stream_body(send, receive, stream, encode, keepalive=every, where=where, start=start)

    return respond


# --- item encoders ----------------------------------------------------------------


def _bytes_chunk(item: Any) -> bytes:
    if type(item) is bytes:
        return item
    if isinstance(item, bytearray | memoryview):
        return bytes(typing.cast(bytearray, item))
    raise TypeError(f"StreamingResponse items must be bytes, got {type(item).__name__}")


_encode_json: Callable[[Any], bytes] = msgspec.json.Encoder().encode


def _ndjson_line(item: Any) -> bytes:
    return _encode_json(item) + b"\n"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _text_data(text: str) -> bytes:
    """`data:` lines for text: SSE ends a field at CR, LF or CRLF, so each line gets one."""
    if "\n" not in text and "\r" not in text:
        return b"data: " + text.encode() + b"\n"
    return "".join(f"data: {line}\n" for line in _LINE_BREAK.split(text)).encode()


def _sse_data(data: Any) -> bytes:
    if type(data) is str:
        return _text_data(data)
    return b"data: " + _encode_json(data) + b"\n"  # compact JSON never holds a raw newline


def _sse_event(event: ServerSentEvent[Any]) -> bytes:
    parts: list[bytes] = []
    if event.event is not None:
        parts.append(b"event: " + event.event.encode() + b"\n")
    if event.id is not None:
        parts.append(b"id: " + event.id.encode() + b"\n")
    if event.retry is not None:
        parts.append(b"retry: %d\n" % event.retry)
    if event.data is not None:
        parts.append(_sse_data(event.data))
    parts.append(b"\n")
    return b"".join(parts)


def _sse_item(item: Any) -> bytes:
    """One item of an SSE stream: a `ServerSentEvent`, or bare data."""
    if isinstance(item, ServerSentEvent):
        return _sse_event(typing.cast(ServerSentEvent[Any], item))
    return _sse_data(item) + b"\n"
