"""`form: S` in the document: a multipart (or urlencoded) body, one property per part.

Each field is described by the value its part carries: text converted to the field's
type, a JSON document for a Struct, raw binary for `bytes` and `FilePart`, the value of
`FormPart[T, H]` (whose `H` documents the part's headers in the multipart encoding).
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

import msgspec

from .._forms import MULTIPART, URLENCODED, FormPart
from .._introspect import struct_fields
from .._render import header_wire_name, is_json_body_type, is_struct_type
from .._uploads import FilePart
from .context import OperationContext
from .schema import Schema, drop_null, may_be_none, sent_or_absent

BINARY: Schema = {
    "type": "string",
    "format": "binary",
    "contentMediaType": "application/octet-stream",
}
"""Raw bytes: `contentMediaType` says so in OpenAPI 3.1, `format` for older tools."""


def file_part_schema(tp: type) -> Schema:
    """The schema hook's answer for jero's own part types (msgspec cannot see them)."""
    if tp is FilePart:
        return dict(BINARY)
    raise NotImplementedError


def form_body(tp: Any, op: OperationContext) -> Schema:
    properties: Schema = {}
    required: list[str] = []
    encoding: Schema = {}
    files = False
    for field in struct_fields(tp):
        where = f"{op.where} form field `{field.name}` of {tp.__name__}"
        value, part_headers = _part_value(field.type)
        properties[field.encode_name] = op.book.schema(value, where, adapt=sent_or_absent(field))
        if field.required and not may_be_none(field.type):
            required.append(field.encode_name)
        files = files or _carries_file(value)
        part = _part_encoding(value, part_headers, op, where)
        if part:
            encoding[field.encode_name] = part
    schema: Schema = {"type": "object", "properties": properties, "required": required}
    multipart: Schema = {"schema": schema}
    if encoding:
        multipart["encoding"] = encoding
    content: Schema = {MULTIPART: multipart}
    if not files:
        # Files are uploaded as multipart: an urlencoded value cannot say "an empty file"
        # (an empty value is no file at all), so only text-only forms offer it.
        content[URLENCODED] = {"schema": schema}
    return {"required": True, "content": content}


def _part_value(tp: Any) -> tuple[Any, type[msgspec.Struct] | None]:
    """The type of the value a part carries (`bytes` → `FilePart`: raw, not base64),
    and the part headers Struct of a `FormPart[T, H]`."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        inner, *metadata = typing.get_args(tp)
        value, headers = _part_value(inner)
        return Annotated[value, *metadata], headers
    if origin in (types.UnionType, typing.Union):
        found = [_part_value(member) for member in typing.get_args(tp)]
        union = found[0][0]
        for value, _ in found[1:]:
            union = union | value
        return union, next((h for _, h in found if h is not None), None)
    if origin is list:
        value, headers = _part_value(typing.get_args(tp)[0])
        return list[value], headers
    if tp is FormPart or origin is FormPart:
        args = typing.get_args(tp)
        value, _ = _part_value(args[0]) if args else (str, None)
        headers = args[1] if len(args) > 1 and is_struct_type(args[1]) else None
        return value, headers
    return (FilePart if tp is bytes else tp), None


def _part_encoding(
    value: Any, part_headers: type[msgspec.Struct] | None, op: OperationContext, where: str
) -> Schema:
    """The multipart encoding of one field: JSON parts, and a FormPart's headers."""
    encoding: Schema = {}
    if _is_json_part(value):
        encoding["contentType"] = "application/json"
    if part_headers is not None:
        encoding["headers"] = {
            header_wire_name(f.encode_name): {
                "schema": op.book.schema(f.type, f"{where} part header", adapt=drop_null),
                "required": f.required and not may_be_none(f.type),
            }
            for f in struct_fields(part_headers)
        }
    return encoding


def _carries_file(value: Any) -> bool:
    origin = typing.get_origin(value)
    if origin in (Annotated, list, types.UnionType, typing.Union):
        return any(_carries_file(member) for member in typing.get_args(value))
    return value is FilePart


def _is_json_part(value: Any) -> bool:
    origin = typing.get_origin(value)
    if origin is Annotated:
        return _is_json_part(typing.get_args(value)[0])
    if origin in (types.UnionType, typing.Union):
        return any(_is_json_part(m) for m in typing.get_args(value) if m is not type(None))
    if origin is list:
        return _is_json_part(typing.get_args(value)[0])
    return is_json_body_type(value) or origin is dict
