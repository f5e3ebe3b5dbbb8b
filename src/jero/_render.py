"""Response rendering: wiring turns a return annotation into a `RenderPlan`.

A buffered body gets an `Encoder`, a closure that already holds the body encoder and
the status, and returns status, headers and body for the app to send in two `send`
calls. A streamed body gets a `Responder`, which sends the response itself. Which one
serves a union member is decided per returned value by its exact class.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Awaitable, Callable
from typing import Any, cast

import msgspec

from ._asgi import HeaderList, Receive, Send
from ._errors import PROBLEM_CONTENT_TYPE, HTTPError, WiringError
from ._headers import RawHeaders
from ._introspect import is_union, struct_fields
from ._responses import BytesResponse, ExtraHeaders, HeadFields, JSONResponse, NoContent

type Responder = Callable[[Send, Any, bool, Receive], Awaitable[None]]
"""`await responder(send, returned_value, is_head, receive)`; only streaming responders
read `receive` (to notice a client that disconnects mid-stream)."""

type HeaderEncoder = Callable[[Any], HeaderList]

type Rendered = tuple[int, HeaderList, bytes]
"""A buffered response: status, headers (content-length included) and body."""

type Encoder = Callable[[Any], Rendered]

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"
OCTETS = b"application/octet-stream"
CONTENT_TYPE = b"content-type"
CONTENT_LENGTH = b"content-length"

_json_encode = msgspec.json.Encoder().encode


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseShape:
    """One documented outcome of a handler: what OpenAPI and the typed client read."""

    status: int
    media_type: str | None
    body_type: Any
    """For a streamed response, the type of one item."""
    headers_type: type[msgspec.Struct] | None
    streaming: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class RenderPlan:
    """Everything wiring derived from a return annotation."""

    responder: Responder
    shapes: tuple[ResponseShape, ...]
    encode: Encoder | None = None
    """Set when every outcome is a buffered body: the app then encodes and sends itself."""

    @property
    def streams(self) -> bool:
        """Whether some outcome streams its body (and so outlives the handler call)."""
        return any(shape.streaming for shape in self.shapes)


def is_subclass(tp: Any, base: type[Any]) -> bool:
    """`issubclass` for any annotation: False for what is not a class."""
    return isinstance(tp, type) and issubclass(tp, base)


def is_struct_type(tp: Any) -> bool:
    return is_subclass(tp, msgspec.Struct)


def is_json_body_type(tp: Any) -> bool:
    """A Struct, `list[Struct]`, or a union of Structs (tagged, so msgspec can decode it)."""
    if is_struct_type(tp):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list and len(args) == 1:
        return is_json_body_type(args[0])
    if is_union(tp):
        return all(is_struct_type(a) for a in args)
    return False


def union_members(tp: Any) -> tuple[Any, ...]:
    if is_union(tp):
        return typing.get_args(tp)
    return (tp,)


# --- building ---------------------------------------------------------------------


def build_render_plan(annotation: Any, default_status: int, where: str) -> RenderPlan:
    """Compile a handler's return annotation; `where` names the handler in errors."""
    members = union_members(annotation)
    if type(None) in members or annotation is None:
        raise WiringError(
            f"{where}: return type {type_name(annotation)} may be None; return NoContent() "
            f"for a 204 instead, e.g. -> Widget | NoContent"
        )
    by_class: dict[type[Any], Encoder | Responder] = {}
    streams: set[type[Any]] = set()
    shapes: list[ResponseShape] = []
    for member in members:
        runtime_class, render, shape = _compile_member(member, default_status, where)
        by_class.setdefault(runtime_class, render)
        shapes.append(shape)
        if shape.streaming:
            streams.add(runtime_class)
    if not streams:
        encode = _encode_by_class(cast(dict[type[Any], Encoder], by_class))
        return RenderPlan(responder_for(encode), tuple(shapes), encode)
    responders = {
        cls: cast(Responder, render) if cls in streams else responder_for(cast(Encoder, render))
        for cls, render in by_class.items()
    }
    return RenderPlan(_respond_by_class(responders), tuple(shapes))


def _compile_member(
    member: Any, default_status: int, where: str
) -> tuple[type[Any], Encoder | Responder, ResponseShape]:
    """A union member's runtime class, its encoder (a responder, for a stream) and shape."""
    origin: Any = typing.get_origin(member) or member
    args = typing.get_args(member)
    if is_json_body_type(member):  # a Struct or list[Struct]: the union is already split
        return (
            origin,
            plain_encoder(default_status, JSON, _json_encode),
            ResponseShape(default_status, "application/json", member, None),
        )
    if member is str:
        encode: Callable[[Any], bytes] = str.encode
        shape = ResponseShape(default_status, "text/plain", str, None)
        return str, plain_encoder(default_status, TEXT, encode), shape
    if member is bytes:
        shape = ResponseShape(default_status, "application/octet-stream", bytes, None)
        return bytes, plain_encoder(default_status, OCTETS, bytes), shape
    if is_subclass(origin, JSONResponse):
        if not args:
            raise WiringError(
                f"{where}: {origin.__name__} needs its body type, e.g. {origin.__name__}[Widget]"
            )
        body_type, headers_type = args[0], headers_arg(args[1:], where)
        if not is_json_body_type(body_type):
            raise WiringError(
                f"{where}: {origin.__name__}[{type_name(body_type)}] must carry a msgspec Struct "
                f"or list[Struct]"
            )
        status = getattr(origin, "default_status", None) or default_status
        encoder = json_wrapper_encoder(status, build_header_encoder(headers_type))
        return origin, encoder, ResponseShape(status, "application/json", body_type, headers_type)
    if is_subclass(origin, BytesResponse):
        headers_type = headers_arg(args, where)
        encoder = bytes_wrapper_encoder(default_status, build_header_encoder(headers_type))
        return origin, encoder, ResponseShape(default_status, None, bytes, headers_type)
    if is_subclass(origin, NoContent):
        headers_type = headers_arg(args, where)
        encoder = no_content_encoder(build_header_encoder(headers_type))
        return origin, encoder, ResponseShape(204, None, None, headers_type)
    from ._stream_render import compile_stream_member  # it builds on this module

    streaming = compile_stream_member(origin, args, default_status, where)
    if streaming is not None:
        return streaming
    raise WiringError(
        f"{where}: return type {type_name(member)} is not a supported response; return a msgspec "
        f"Struct, list[Struct], str, bytes, JSONResponse[T], BytesResponse, Created[T], "
        f"Accepted[T], NoContent, StreamingResponse, NDJSONStreamingResponse[T] or "
        f"SSEResponse[T] (not dict or Any)"
    )


def headers_arg(args: tuple[Any, ...], where: str) -> type[msgspec.Struct] | None:
    if not args or args[0] is None or args[0] is type(None):
        return None
    if not is_struct_type(args[0]):
        raise WiringError(
            f"{where}: response headers type {type_name(args[0])} must be a msgspec Struct"
        )
    return args[0]


def type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp)


# --- headers ----------------------------------------------------------------------


_CASE_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def header_wire_name(encode_name: str) -> str:
    """`x_rate_limit`, `xRateLimit` and `XRateLimit` all travel as `x-rate-limit`."""
    return _CASE_HUMP.sub("-", encode_name).lower().replace("_", "-")


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
                out.append((wire, header_value(value)))
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
    """Default content-type unless `extra` overrides it, then extra, then content-length."""
    headers = merge_headers([(CONTENT_TYPE, content_type)], extra)
    headers.append((CONTENT_LENGTH, content_length(length)))
    return headers


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


def plain_encoder(status: int, content_type: bytes, encode: Callable[[Any], bytes]) -> Encoder:
    def render(value: Any) -> Rendered:
        body = encode(value)
        return (
            status,
            [(CONTENT_TYPE, content_type), (CONTENT_LENGTH, content_length(len(body)))],
            body,
        )

    return render


def extra_headers(encode_headers: HeaderEncoder, value: HeadFields[Any]) -> HeaderList:
    """A wrapper's own headers: its typed headers, raw headers, then its cookies."""
    extra = encode_headers(value.headers) + raw_header_list(value.raw_headers)
    if value.cookies:
        extra += [cookie.header() for cookie in value.cookies]
    return extra


def json_wrapper_encoder(default_status: int, encode_headers: HeaderEncoder) -> Encoder:
    def render(value: JSONResponse[Any, Any]) -> Rendered:
        body = _json_encode(value.json)
        headers = finish_headers(JSON, extra_headers(encode_headers, value), len(body))
        return value.status_code or default_status, headers, body

    return render


def bytes_wrapper_encoder(default_status: int, encode_headers: HeaderEncoder) -> Encoder:
    def render(value: BytesResponse[Any]) -> Rendered:
        media_type = value.media_type.encode("latin-1")
        extra = extra_headers(encode_headers, value)
        headers = finish_headers(media_type, extra, len(value.content))
        return value.status_code or default_status, headers, value.content

    return render


def no_content_encoder(encode_headers: HeaderEncoder) -> Encoder:
    def render(value: NoContent[Any]) -> Rendered:
        extra = extra_headers(encode_headers, value)
        return 204, [(k, v) for k, v in extra if k != CONTENT_TYPE], b""

    return render


def _picker[F](by_class: dict[type[Any], F]) -> Callable[[Any], F]:
    """Choose by the returned value's exact class, then by isinstance (subclasses)."""
    ordered = tuple(by_class.items())

    def pick(value: Any) -> F:
        chosen = by_class.get(cast(type[Any], type(value)))
        if chosen is None:
            chosen = next((f for cls, f in ordered if isinstance(value, cls)), None)
            if chosen is None:
                raise TypeError(f"handler returned {type(value).__name__}, not a declared type")
        return chosen

    return pick


def _encode_by_class(by_class: dict[type[Any], Encoder]) -> Encoder:
    if len(by_class) == 1:
        return next(iter(by_class.values()))
    pick = _picker(by_class)
    return lambda value: pick(value)(value)


def _respond_by_class(by_class: dict[type[Any], Responder]) -> Responder:
    if len(by_class) == 1:
        return next(iter(by_class.values()))
    pick = _picker(by_class)

    async def respond(send: Send, value: Any, head: bool, receive: Receive) -> None:
        await pick(value)(send, value, head, receive)

    return respond


# --- problems ---------------------------------------------------------------------


def problem_headers(error: HTTPError[Any], body: bytes) -> HeaderList:
    extra = raw_header_list(error.headers)
    return finish_headers(PROBLEM_CONTENT_TYPE, extra, len(body))


async def send_problem(send: Send, error: HTTPError[Any], head: bool = False) -> None:
    body = error.body()
    await send_body(send, type(error).status, problem_headers(error, body), body, head)
