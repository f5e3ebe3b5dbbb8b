"""Encoding one call's arguments as an HTTP request, the way the server binds them back.

Each encoder is built once per operation from the handler's parameter annotations, so
a call only walks the values it was given. The wire forms mirror the binders: query and
header values are text (`true`/`false` for bools, repeated keys for lists), cookies are
`name=value` pairs, path slots are percent-encoded segments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import msgspec

from .._binding.forms import FieldShape, PartKind, field_shapes
from .._binding.uploads import FilePart
from .._media import MSGPACK
from .._routes import Template
from .._routing.reverse import slot_segment
from .._types import header_wire_name, struct_fields

type TextPairs = list[tuple[str, str]]

_json_encode = msgspec.json.Encoder().encode


@dataclasses.dataclass(slots=True)
class RequestParts:
    """What one call sends, gathered before the httpx request is made."""

    url: str
    params: TextPairs = dataclasses.field(default_factory=list[tuple[str, str]])
    headers: TextPairs = dataclasses.field(default_factory=list[tuple[str, str]])
    content: bytes | None = None
    data: TextPairs | None = None
    files: list[tuple[str, tuple[str | None, bytes, str | None]]] | None = None
    """Multipart file parts, in httpx's `(field, (filename, bytes, content_type))` form."""


type Apply = Callable[[RequestParts, Any], None]
"""Adds one argument's value to the request being built."""


def text_of(value: Any) -> str:
    """A builtin value (after `msgspec.to_builtins`) as the text a binder converts back."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return _json_encode(value).decode()


def text_pairs(struct_value: msgspec.Struct) -> TextPairs:
    """A Struct of text-valued fields as (encoded name, text) pairs; lists repeat the key,
    None fields are left out."""
    pairs: TextPairs = []
    for key, value in msgspec.to_builtins(struct_value).items():
        if value is None:
            continue
        if isinstance(value, list):
            pairs.extend((key, text_of(item)) for item in value)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        else:
            pairs.append((key, text_of(value)))
    return pairs


def url_builder(template: Template, where: str) -> Callable[[Any], str]:
    """The request path of a template, given the call's `path` Struct (or None)."""
    if not template.slots:
        path = template.render()
        return lambda value: path
    segments = template.segments

    def build(value: Any) -> str:
        slots = iter(template.slots)
        parts: list[str] = []
        for segment in segments:
            if segment is None:
                slot = next(slots)
                parts.append(slot_segment(getattr(value, slot), slot, where))
            else:
                parts.append(segment)
        return "/" + "/".join(parts)

    return build


def apply_params(parts: RequestParts, value: Any) -> None:
    parts.params.extend(text_pairs(value))


def header_applier(struct: type[msgspec.Struct]) -> Apply:
    wire = {f.encode_name: header_wire_name(f.encode_name) for f in struct_fields(struct)}

    def apply(parts: RequestParts, value: Any) -> None:
        parts.headers.extend((wire[key], text) for key, text in text_pairs(value))

    return apply


def apply_cookies(parts: RequestParts, value: Any) -> None:
    pairs = text_pairs(value)
    if pairs:
        parts.headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in pairs)))


def apply_json(parts: RequestParts, value: Any) -> None:
    parts.content = _json_encode(value)
    parts.headers.append(("content-type", "application/json"))


_msgpack_encode = msgspec.msgpack.Encoder().encode


def apply_msgpack(parts: RequestParts, value: Any) -> None:
    """A `json` body sent as MessagePack, to an app that takes it (`msgpack=True`)."""
    parts.content = _msgpack_encode(value)
    parts.headers.append(("content-type", MSGPACK))


def apply_content(parts: RequestParts, value: Any) -> None:
    parts.content = value
    parts.headers.append(("content-type", "application/octet-stream"))


type ReadFile = Callable[[FilePart], bytes]


def form_applier(struct: type[msgspec.Struct], where: str, read_file: ReadFile) -> Apply:
    """A `form:` Struct as urlencoded fields, or multipart when it has file fields."""
    shapes = list(field_shapes(struct, where))
    multipart = any(s.kind in (PartKind.FILE, PartKind.BYTES, PartKind.JSON) for s in shapes)

    def apply(parts: RequestParts, value: Any) -> None:
        fields: TextPairs = []
        files: list[tuple[str, tuple[str | None, bytes, str | None]]] = []
        for shape in shapes:
            given = getattr(value, shape.field.name)
            if given is None:
                continue
            items: list[Any] = list(given) if shape.repeated else [given]
            for item in items:
                _add_part(shape, item, fields, files, read_file)
        if multipart:
            parts.data, parts.files = fields, files
        else:
            parts.data = fields

    return apply


def _add_part(
    shape: FieldShape,
    item: Any,
    fields: TextPairs,
    files: list[tuple[str, tuple[str | None, bytes, str | None]]],
    read_file: ReadFile,
) -> None:
    key = shape.field.encode_name
    value = item.value if shape.form_part else item
    if shape.kind is PartKind.FILE:
        part: FilePart = value
        files.append((key, (part.filename or "upload", read_file(part), part.content_type)))
    elif shape.kind is PartKind.BYTES:
        files.append((key, (None, bytes(value), "application/octet-stream")))
    elif shape.kind is PartKind.JSON:
        files.append((key, (None, _json_encode(value), "application/json")))
    else:
        fields.append((key, text_of(msgspec.to_builtins(value))))
