"""Response planning: wiring turns a return annotation into a `RenderPlan`.

Each union member is compiled to an encoder (a buffered body) or a responder (a
stream); which one serves a returned value is decided by its exact class.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, cast

from .._asgi import Receive, Send
from .._errors import WiringError
from .._plan import Encoder, RenderPlan, Responder, ResponseShape
from .._rendering.encoders import (
    JSON_CODEC,
    OCTETS,
    TEXT,
    BodyCodec,
    build_header_encoder,
    bytes_wrapper_encoder,
    json_wrapper_encoder,
    no_content_encoder,
    plain_encoder,
    responder_for,
)
from .._rendering.responses import BytesResponse, JSONResponse, NoContent
from .._rendering.returns import Expected, expected
from .._streaming.render import compile_stream_member
from .._types import headers_arg, is_json_body_type, is_subclass, type_name, union_members

# --- building ---------------------------------------------------------------------


def build_render_plan(
    annotation: Any, default_status: int, where: str, codec: BodyCodec = JSON_CODEC
) -> RenderPlan:
    """Compile a handler's return annotation; `where` names the handler in errors.

    `codec` encodes the Struct bodies (JSON unless the app negotiates MessagePack)."""
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
        runtime_class, render, shape = _compile_member(
            member, default_status, where, annotation, codec
        )
        by_class.setdefault(runtime_class, render)
        shapes.append(shape)
        if shape.streaming:
            streams.add(runtime_class)
    declared = type_name(annotation)
    if not streams:
        encode = _encode_by_class(cast(dict[type[Any], Encoder], by_class), where, declared)
        return RenderPlan(responder_for(encode), tuple(shapes), encode)
    responders = {
        cls: cast(Responder, render) if cls in streams else responder_for(cast(Encoder, render))
        for cls, render in by_class.items()
    }
    return RenderPlan(_respond_by_class(responders, where, declared), tuple(shapes))


def _compile_member(
    member: Any, default_status: int, where: str, declared: Any, codec: BodyCodec = JSON_CODEC
) -> tuple[type[Any], Encoder | Responder, ResponseShape]:
    """A union member's runtime class, its encoder (a responder, for a stream) and shape.

    Each encoder checks that the value it is given is of the member's class (`returns`)."""
    origin: Any = typing.get_origin(member) or member
    args = typing.get_args(member)
    expect = expected(member, where, declared)
    if is_json_body_type(member):  # a Struct or list[Struct]: the union is already split
        return (
            origin,
            plain_encoder(default_status, codec.media_type, codec.encode, expect),
            ResponseShape(default_status, codec.media_type.decode(), member, None),
        )
    if member is str:
        encode: Callable[[Any], bytes] = str.encode
        shape = ResponseShape(default_status, "text/plain", str, None)
        return str, plain_encoder(default_status, TEXT, encode, expect), shape
    if member is bytes:
        shape = ResponseShape(default_status, "application/octet-stream", bytes, None)
        return bytes, plain_encoder(default_status, OCTETS, bytes, expect), shape
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
        body = expected(body_type, f"{where} (the `json` of its {origin.__name__})", body_type)
        headers_encoder = build_header_encoder(headers_type)
        encoder = json_wrapper_encoder(status, headers_encoder, expect, body, codec)
        return (
            origin,
            encoder,
            ResponseShape(status, codec.media_type.decode(), body_type, headers_type),
        )
    if is_subclass(origin, BytesResponse):
        headers_type = headers_arg(args, where)
        encoder = bytes_wrapper_encoder(default_status, build_header_encoder(headers_type), expect)
        return origin, encoder, ResponseShape(default_status, None, bytes, headers_type)
    if is_subclass(origin, NoContent):
        headers_type = headers_arg(args, where)
        encoder = no_content_encoder(build_header_encoder(headers_type), expect)
        return origin, encoder, ResponseShape(204, None, None, headers_type)

    streaming = compile_stream_member(origin, args, default_status, where, expect)
    if streaming is not None:
        return streaming
    raise WiringError(
        f"{where}: return type {type_name(member)} is not a supported response; return a msgspec "
        f"Struct, list[Struct], str, bytes, JSONResponse[T], BytesResponse, Created[T], "
        f"Accepted[T], NoContent, StreamingResponse, NDJSONStreamingResponse[T] or "
        f"SSEResponse[T] (not dict or Any)"
    )


def _picker[F](by_class: dict[type[Any], F], where: str, declared: str) -> Callable[[Any], F]:
    """Choose by the returned value's exact class, then by isinstance (subclasses)."""
    ordered = tuple(by_class.items())
    classes = tuple(by_class)

    def pick(value: Any) -> F:
        chosen = by_class.get(cast(type[Any], type(value)))
        if chosen is None:
            chosen = next((f for cls, f in ordered if isinstance(value, cls)), None)
            if chosen is None:
                raise Expected(classes, None, where, declared).error(value)
        return chosen

    return pick


def _encode_by_class(by_class: dict[type[Any], Encoder], where: str, declared: str) -> Encoder:
    if len(by_class) == 1:
        return next(iter(by_class.values()))
    pick = _picker(by_class, where, declared)
    return lambda value: pick(value)(value)


def _respond_by_class(by_class: dict[type[Any], Responder], where: str, declared: str) -> Responder:
    if len(by_class) == 1:
        return next(iter(by_class.values()))
    pick = _picker(by_class, where, declared)

    async def respond(send: Send, value: Any, head: bool, receive: Receive) -> None:
        await pick(value)(send, value, head, receive)

    return respond
