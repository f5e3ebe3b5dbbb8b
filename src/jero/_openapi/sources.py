"""Request sources in the document: one small function per source, in `SOURCE_DOCS`.

A source contributes parameters or a request body; the framework errors it can cause
come from its record in `_compile.sources`, next to its binder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import msgspec

from .._errors import WiringError
from .._media import MSGPACK
from .._types import header_wire_name, struct_fields
from .context import OperationContext
from .forms import form_body
from .schema import Schema, sent_or_absent


def path_parameters(tp: Any, op: OperationContext) -> list[Schema]:
    fields = {f.name: f for f in struct_fields(tp)}
    return [
        {
            "name": slot,
            "in": "path",
            "required": True,
            "schema": op.book.schema(fields[slot].type, f"{op.where} path field `{slot}`"),
        }
        for slot in op.template.slots
    ]


def query_parameters(tp: Any, op: OperationContext) -> list[Schema]:
    return _text_parameters(tp, "query", lambda f: f.encode_name, op)


def header_parameters(tp: Any, op: OperationContext) -> list[Schema]:
    return _text_parameters(tp, "header", lambda f: header_wire_name(f.encode_name), op)


def cookie_parameters(tp: Any, op: OperationContext) -> list[Schema]:
    return _text_parameters(tp, "cookie", lambda f: f.encode_name, op)


def _text_parameters(
    tp: Any,
    location: str,
    wire_name: Callable[[msgspec.structs.FieldInfo], str],
    op: OperationContext,
) -> list[Schema]:
    """Fields whose values arrive as text: scalars, or lists of them from repeated keys."""
    parameters: list[Schema] = []
    # Binding already refused fields no text converts to (`_binding.text_fields`).
    for field in struct_fields(tp):
        where = f"{op.where} {location} field `{field.name}` of {tp.__name__}"
        schema = op.book.schema(field.type, where, adapt=sent_or_absent(field))
        parameters.append(
            {"name": wire_name(field), "in": location, "required": field.required, "schema": schema}
        )
    return parameters


def condition_parameters(tp: Any, op: OperationContext) -> list[Schema]:
    """The `If-*` headers a `conditions: Preconditions` handler evaluates (RFC 9110 §13)."""
    names = ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"]
    return [
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
        for name in names
    ]


# --- request bodies ----------------------------------------------------------------


def json_body(tp: Any, op: OperationContext) -> Schema:
    schema = op.book.schema(tp, f"{op.where} parameter `json`")
    content: Schema = {"application/json": {"schema": schema}}
    if op.plan.msgpack:
        content[MSGPACK] = {"schema": schema}
    return {"required": True, "content": content}


def raw_body(tp: Any, op: OperationContext) -> Schema:
    # Any media type is accepted and no body is an empty one, so it is not "required";
    # OpenAPI 3.1 describes unstructured bytes by leaving the schema out.
    return {"required": False, "content": {"application/octet-stream": {}}}


@dataclasses.dataclass(frozen=True, slots=True)
class SourceDoc:
    """How one request source appears in an operation."""

    parameters: Callable[[Any, OperationContext], list[Schema]] | None = None
    body: Callable[[Any, OperationContext], Schema] | None = None


SOURCE_DOCS: dict[str, SourceDoc] = {
    "path": SourceDoc(parameters=path_parameters),
    "params": SourceDoc(parameters=query_parameters),
    "headers": SourceDoc(parameters=header_parameters),
    "cookies": SourceDoc(parameters=cookie_parameters),
    "raw_headers": SourceDoc(),
    "user": SourceDoc(),
    # The session is a cookie the `Sessions` layer reads; nothing for a client to fill in.
    "session": SourceDoc(),
    "conditions": SourceDoc(parameters=condition_parameters),
    "json": SourceDoc(body=json_body),
    "form": SourceDoc(body=form_body),
    "content": SourceDoc(body=raw_body),
}


def source_doc(name: str, op: OperationContext) -> SourceDoc:
    doc = SOURCE_DOCS.get(name)
    if doc is None:
        raise WiringError(
            f"{op.where}: parameter `{name}` has no OpenAPI description yet; leave the "
            f"operation out with OperationMeta(hidden=True)"
        )
    return doc
