"""`form: S` in the document: a multipart (or urlencoded) body, one property per part.

Each field is described by the value its part carries: text converted to the field's
type, a JSON document for a Struct, raw binary for `bytes` and `FilePart`, the value of
`FormPart[T, H]` (whose `H` documents the part's headers in the multipart encoding).
What a field's part carries is read by the binder's own `field_shapes`, so the document
and the binder agree on it.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

from .._binding.forms import MULTIPART, URLENCODED, FieldShape, FormPart, PartKind, field_shapes
from .._binding.uploads import FilePart
from .._types import header_wire_name, is_union, struct_fields, union_of
from .context import OperationContext
from .schema import Schema, drop_null, sent_or_absent

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
    for shape in field_shapes(tp, op.where):
        field = shape.field
        where = f"{op.where} form field `{field.name}` of {tp.__name__}"
        value = _carried(field.type)
        properties[field.encode_name] = op.book.schema(value, where, adapt=sent_or_absent(field))
        if field.required and not shape.optional:
            required.append(field.encode_name)
        files = files or shape.kind in (PartKind.FILE, PartKind.BYTES)
        part = _part_encoding(shape, op, where)
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


def _carried(tp: Any) -> Any:
    """The field's type as its parts carry it: `FormPart[T, H]` as `T`, and `bytes` as
    a `FilePart` (raw, not base64); `Annotated`, `list` and `| None` are kept."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        inner, *metadata = typing.get_args(tp)
        carried = _carried(inner)
        return Annotated[carried, *metadata]
    if is_union(tp):
        return union_of(_carried(member) for member in typing.get_args(tp))
    if origin is list:
        item = _carried(typing.get_args(tp)[0])
        return list[item]
    if origin is FormPart:
        return _carried(typing.get_args(tp)[0])
    return FilePart if tp is bytes else tp


def _part_encoding(shape: FieldShape, op: OperationContext, where: str) -> Schema:
    """The multipart encoding of one field: JSON parts, and a FormPart's headers."""
    encoding: Schema = {}
    if shape.kind is PartKind.JSON:
        encoding["contentType"] = "application/json"
    if shape.part_headers is not None:
        encoding["headers"] = {
            header_wire_name(f.encode_name): {
                "schema": op.book.schema(f.type, f"{where} part header", adapt=drop_null),
                "required": f.required,  # as the binder: a `| None` field still needs a default
            }
            for f in struct_fields(shape.part_headers)
        }
    return encoding
