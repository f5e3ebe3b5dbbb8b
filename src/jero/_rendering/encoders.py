"""Request-time encoders: bodies, typed and raw headers, cookies and problem documents.

A buffered body gets an `Encoder`, a closure that already holds the body encoder and
the status, and returns status, headers and body for the app to send in two `send`
calls. Everything a closure needs that does not depend on the request is computed when
wiring builds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

import msgspec

from .._asgi import HeaderList, Receive, Send
from .._errors import PROBLEM_CONTENT_TYPE, HTTPError
from .._headers import RawHeaders
from .._plan import Encoder, HeaderEncoder, Rendered, Responder
from .._types import header_wire_name, struct_fields
from .responses import BytesResponse, ExtraHeaders, HeadFields, JSONResponse, NoContent
from .returns import Expected

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"
OCTETS = b"application/octet-stream"
CONTENT_TYPE = b"content-type"
CONTENT_LENGTH = b"content-length"

_json_encode = msgspec.json.Encoder().encode


@dataclasses.dataclass(frozen=True, slots=True)
class BodyCodec:
    """How Struct bodies travel: JSON by default, MessagePack when a client asks for it."""

    media_type: bytes
    encode: Callable[[Any], bytes]


JSON_CODEC = BodyCodec(JSON, _json_encode)
MSGPACK_CODEC = BodyCodec(b"application/msgpack", msgspec.msgpack.Encoder().encode)


# --- headers ----------------------------------------------------------------------


def build_header_encoder(headers_type: type[msgspec.Struct] | None) -> HeaderEncoder:
    """Typed response headers: scalars as text, bool as true/false, nested as JSON."""
    if headers_type is None:
        return _no_headers
    fields = [
        (f.name, header_wire_name(f.encode_name).encode("latin-1"))
        for f in struct_fields(headers_type)
    ]

    def encode(headers: Any) -> HeaderList:
        if headers is None:
            return []
        out: HeaderList = []
        for attr, wire in fields:
            value = getattr(headers, attr)
            if value is not None:
                out.append((wire, value.encode() if type(value) is str else header_value(value)))
        return out

    return encode


def _no_headers(headers: Any) -> HeaderList:
    return []


def header_value(value: Any) -> bytes:
    plain = msgspec.to_builtins(value)
    if plain is True:
        return b"true"
    if plain is False:
        return b"false"
    if isinstance(plain, str):
        return plain.encode()
    if isinstance(plain, int | float):
        return str(plain).encode()
    return _json_encode(plain)


def raw_header_list(raw: ExtraHeaders | None) -> HeaderList:
    if raw is None:
        return []
    if isinstance(raw, RawHeaders):
        pairs = raw.to_asgi()
    else:
        pairs = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw.items()]
    return [(k, v) for k, v in pairs if k != CONTENT_LENGTH]


def merge_headers(defaults: HeaderList, extra: HeaderList) -> HeaderList:
    """A new list: the default headers `extra` does not set itself, then `extra`."""
    if not extra:
        return list(defaults)
    given = {name for name, _ in extra}
    return [pair for pair in defaults if pair[0] not in given] + extra


def finish_headers(content_type: bytes, extra: HeaderList, length: int) -> HeaderList:
    """Default content-type unless `extra` overrides it, then extra, then content-length
    (`merge_headers` with its one default, written out: every wrapper answer comes here)."""
    length_header = (CONTENT_LENGTH, _SMALL_LENGTHS[length] if length < 4096 else b"%d" % length)
    for name, _ in extra:
        if name == CONTENT_TYPE:
            return [*extra, length_header]
    return [(CONTENT_TYPE, content_type), *extra, length_header]


# --- encoders and responders ----------------------------------------------------

# Most API bodies are small: their content-length values are looked up, not formatted.
_SMALL_LENGTHS = tuple(b"%d" % n for n in range(4096))


def content_length(length: int) -> bytes:
    return _SMALL_LENGTHS[length] if length < 4096 else b"%d" % length


async def send_body(send: Send, status: int, headers: HeaderList, body: bytes, head: bool) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def responder_for(encode: Encoder) -> Responder:
    """The responder of a buffered body: encode, then send it whole."""

    async def respond(send: Send, value: Any, head: bool, receive: Receive) -> None:
        status, headers, body = encode(value)
        await send_body(send, status, headers, body, head)

    return respond


def plain_encoder(
    status: int, content_type: bytes, encode: Callable[[Any], bytes], expect: Expected
) -> Encoder:
    """A bare Struct, list, str or bytes body; the value's class is checked first (see
    `returns`: an identity test on the hot path)."""
    cls, item = expect.cls, expect.item
    if item is not None:
        return _list_encoder(status, content_type, encode, expect)

    def render(value: Any) -> Rendered:
        if type(value) is not cls and not isinstance(value, cls):
            raise expect.error(value)
        body = encode(value)
        size = len(body)  # content_length(), inlined: this is every plain response
        length = _SMALL_LENGTHS[size] if size < 4096 else b"%d" % size
        return status, [(CONTENT_TYPE, content_type), (CONTENT_LENGTH, length)], body

    return render


def _list_encoder(
    status: int, content_type: bytes, encode: Callable[[Any], bytes], expect: Expected
) -> Encoder:
    item = expect.item
    assert item is not None

    def render(value: Any) -> Rendered:
        if type(value) is not list and not isinstance(value, list):
            raise expect.error(value)
        if value and not isinstance(value[0], item):
            raise expect.error(cast(object, value))
        body = encode(value)
        return (
            status,
            [(CONTENT_TYPE, content_type), (CONTENT_LENGTH, content_length(len(body)))],
            body,
        )

    return render


def _body_matches(body: Any, expect: Expected) -> bool:
    """A wrapper's `json`: its class, and for a list, its first element's."""
    if not isinstance(body, expect.cls):
        return False
    item = expect.item
    return item is None or not body or isinstance(body[0], item)


def extra_headers(encode_headers: HeaderEncoder, value: HeadFields[Any]) -> HeaderList:
    """A wrapper's own headers: its typed headers, raw headers, then its cookies."""
    extra = encode_headers(value.headers)
    if value.raw_headers is not None:
        extra += raw_header_list(value.raw_headers)
    if value.cookies:
        extra += [cookie.header() for cookie in value.cookies]
    return extra


def json_wrapper_encoder(
    default_status: int,
    encode_headers: HeaderEncoder,
    expect: Expected,
    body: Expected,
    codec: BodyCodec = JSON_CODEC,
) -> Encoder:
    media_type, encode = codec.media_type, codec.encode
    cls, body_cls = expect.cls, body.cls

    def render(value: JSONResponse[Any, Any]) -> Rendered:
        if type(value) is not cls and not isinstance(value, cls):
            raise expect.error(value)
        json = value.json
        if type(json) is not body_cls and not _body_matches(json, body):
            raise body.error(json)
        body_bytes = encode(json)
        headers = finish_headers(media_type, extra_headers(encode_headers, value), len(body_bytes))
        return value.status_code or default_status, headers, body_bytes

    return render


def bytes_wrapper_encoder(
    default_status: int, encode_headers: HeaderEncoder, expect: Expected
) -> Encoder:
    cls = expect.cls

    def render(value: BytesResponse[Any]) -> Rendered:
        if type(value) is not cls and not isinstance(value, cls):
            raise expect.error(value)
        media_type = value.media_type.encode("latin-1")
        extra = extra_headers(encode_headers, value)
        headers = finish_headers(media_type, extra, len(value.content))
        return value.status_code or default_status, headers, value.content

    return render


def no_content_encoder(encode_headers: HeaderEncoder, expect: Expected) -> Encoder:
    cls = expect.cls

    def render(value: NoContent[Any]) -> Rendered:
        if type(value) is not cls and not isinstance(value, cls):
            raise expect.error(value)
        extra = extra_headers(encode_headers, value)
        return 204, [(k, v) for k, v in extra if k != CONTENT_TYPE], b""

    return render


# --- problems ---------------------------------------------------------------------


def problem_headers(
    error: HTTPError[Any], body: bytes, content_type: bytes = PROBLEM_CONTENT_TYPE
) -> HeaderList:
    extra = raw_header_list(error.headers)
    return finish_headers(content_type, extra, len(body))


async def send_problem(send: Send, error: HTTPError[Any], head: bool = False) -> None:
    body = error.body()
    await send_body(send, type(error).status, problem_headers(error, body), body, head)
