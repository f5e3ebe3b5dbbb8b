"""Responses in the document: per status, from the return annotation's shapes.

Each media type is one small function in `MEDIA_TYPE_DOCS`; errors (the framework's and
the declared ones) become problem-details responses, one schema per `HTTPError` class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec

from .._compile.render import build_render_plan
from .._compile.sources import SOURCES
from .._errors import HTTPError, InternalServerError, Problem, WiringError
from .._media import MSGPACK
from .._plan import ResponseShape
from .._types import header_wire_name, struct_fields, union_of
from .context import PROBLEM_MEDIA_TYPE, ErrorClass, OperationContext
from .schema import Schema, drop_null, is_scalar_type, may_be_none
from .security import auth_errors, challenge_header


def json_content(bodies: list[Any], op: OperationContext, status: int) -> Schema:
    where = f"{op.where}: the {status} JSON response"
    return {"schema": op.book.schema(union_of(bodies), where)}


def ndjson_content(bodies: list[Any], op: OperationContext, status: int) -> Schema:
    # OpenAPI 3.1 has no item schema (3.2's `itemSchema`): `schema` describes one line.
    where = f"{op.where}: the {status} NDJSON stream's items"
    return {"schema": op.book.schema(union_of(bodies), where)}


_PLAIN_EVENT = "plain text: an item the stream yields as a str"


def event_stream_content(bodies: list[Any], op: OperationContext, status: int) -> Schema:
    """One server-sent event, as OpenAPI 3.1 tools read `schema` for text/event-stream:
    `data` is the item as JSON text (or plain text for `str` items)."""
    items = union_of(bodies)
    if items is str:
        data: Schema = {"type": "string"}
    else:
        where = f"{op.where}: the {status} event stream's items"
        as_json: Schema = {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": op.book.schema(items, where),
        }
        # A stream of Structs may also yield `str` items, sent as they are.
        data = {"anyOf": [as_json, {"type": "string", "description": _PLAIN_EVENT}]}
    event: Schema = {
        "type": "object",
        "properties": {
            "data": data,
            "event": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "required": ["data"],
    }
    return {"schema": event}


def text_content(bodies: list[Any], op: OperationContext, status: int) -> Schema:
    return {"schema": {"type": "string"}}


def binary_content(bodies: list[Any], op: OperationContext, status: int) -> Schema:
    return {}


MEDIA_TYPE_DOCS: dict[str, Callable[[list[Any], OperationContext, int], Schema]] = {
    "application/json": json_content,
    "application/x-ndjson": ndjson_content,
    "text/event-stream": event_stream_content,
    "text/plain": text_content,
    "application/octet-stream": binary_content,
    "*/*": binary_content,
}


def shape_media_type(shape: ResponseShape) -> str | None:
    """The documented media type; a `BytesResponse` chooses its own, so any is possible."""
    if shape.media_type is not None:
        return shape.media_type
    return "*/*" if shape.body_type is bytes else None


def response_object(status: int, shapes: list[ResponseShape], op: OperationContext) -> Schema:
    response: Schema = {"description": _phrase(status)}
    bodies: dict[str, list[Any]] = {}
    for shape in shapes:
        media_type = shape_media_type(shape)
        if media_type is not None:
            bodies.setdefault(media_type, []).append(shape.body_type)
    content = {
        media_type: MEDIA_TYPE_DOCS.get(media_type, binary_content)(found, op, status)
        for media_type, found in bodies.items()
    }
    if "application/json" in content and op.plan.msgpack and not op.plan.render.streams:
        content[MSGPACK] = content["application/json"]
    if content:
        response["content"] = content
    headers = response_headers([shape.headers_type for shape in shapes], op, status)
    if headers:
        response["headers"] = headers
    return response


def response_headers(
    types: list[type[msgspec.Struct] | None], op: OperationContext, status: int
) -> Schema:
    """Typed response headers; one is required only if every outcome always sends it."""
    headers: Schema = {}
    always: dict[str, bool] = {}
    for tp in dict.fromkeys(t for t in types if t is not None):
        for field in struct_fields(tp):
            name = header_wire_name(field.encode_name)
            sent = field.required and not may_be_none(field.type)
            always[name] = always.get(name, True) and sent
            if name not in headers:
                headers[name] = _header_object(field, op, f"{op.where}: {status} header `{name}`")
    for name, header in headers.items():
        required = always[name] and all(t is not None and _has_header(t, name) for t in types)
        header["required"] = required
    return headers


def _header_object(field: msgspec.structs.FieldInfo, op: OperationContext, where: str) -> Schema:
    schema = op.book.schema(field.type, where, adapt=drop_null)
    if is_scalar_type(field.type):
        return {"schema": schema}
    # Nested values travel as JSON text.
    return {"content": {"application/json": {"schema": schema}}}


def _has_header(tp: type[msgspec.Struct], name: str) -> bool:
    return any(header_wire_name(f.encode_name) == name for f in struct_fields(tp))


def extra_shapes(responses: Mapping[int, Any], op: OperationContext) -> list[ResponseShape]:
    """`responses=` metadata: each annotation compiled like a return type, at its status."""
    shapes: list[ResponseShape] = []
    for status, annotation in responses.items():
        if not 100 <= status <= 599:
            raise WiringError(f"{op.where}: responses= has the invalid status {status}")
        where = f"{op.where} responses={{{status}: ...}}"
        for shape in build_render_plan(annotation, status, where).shapes:
            shapes.append(dataclasses.replace(shape, status=status))
    return shapes


def _by_status(shapes: Iterable[ResponseShape]) -> dict[int, list[ResponseShape]]:
    found: dict[int, list[ResponseShape]] = {}
    for shape in shapes:
        found.setdefault(shape.status, []).append(shape)
    return found


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


# --- errors ------------------------------------------------------------------------


def operation_errors(op: OperationContext) -> list[ErrorClass]:
    """The framework's errors this handler can produce, then the declared ones."""
    found: list[ErrorClass] = []
    statuses = op.errors.statuses if op.errors is not None else None
    for name in op.plan.parameters:
        if name == "path" and not op.template.slots:
            continue
        errors = SOURCES[name].errors
        found.extend(errors if statuses is None else statuses.documented(name, errors))
    if op.auth is not None:
        found.extend(auth_errors(op.auth))
    found.append(InternalServerError)
    for cls in op.docs.errors:
        if not _is_error_class(cls):
            raise WiringError(
                f"{op.where}: errors= lists {cls!r}, which is not an HTTPError subclass"
            )
        found.append(cls)
    return list(dict.fromkeys(found))


def _is_error_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, HTTPError)


def error_responses(classes: Iterable[ErrorClass], op: OperationContext) -> dict[int, Schema]:
    by_status: dict[int, list[ErrorClass]] = {}
    for cls in classes:
        by_status.setdefault(cls.status, []).append(cls)
    return {
        status: {
            "description": " or ".join(dict.fromkeys(cls.title for cls in found)),
            "content": _error_content(found, op),
        }
        for status, found in sorted(by_status.items())
    }


def responses_of(op: OperationContext) -> Schema:
    """The responses object: documented outcomes, then every error, by status."""
    by_status = _by_status(op.plan.render.shapes)
    # metadata wins over what the return type says
    by_status.update(_by_status(extra_shapes(op.docs.responses, op)))
    responses = {status: response_object(status, found, op) for status, found in by_status.items()}
    for status, response in error_responses(operation_errors(op), op).items():
        if status in responses:
            raise WiringError(
                f"{op.where}: status {status} is documented both as an error "
                f"({response['description']}) and in responses=; document an error only "
                f"once, as its HTTPError class in errors="
            )
        responses[status] = response
    challenge = challenge_header(op.auth) if op.auth is not None else None
    if challenge is not None:
        responses[401]["headers"] = {"www-authenticate": challenge}
    documented: Schema = {str(status): responses[status] for status in sorted(responses)}
    documented["default"] = _undeclared_error(op)
    return documented


_UNDECLARED = (
    "Any other error: an HTTPError the handler raises without listing it in errors= "
    "(list it there to document its status, type and params)"
)


def _undeclared_error(op: OperationContext) -> Schema:
    """The `default` response: handlers may raise any `HTTPError`, and one that is not
    declared still answers an error document, so the document says so."""
    content = _format_content(op)
    if content is None:
        schema = op.book.schema(Problem, f"{op.where}: an undeclared error")
        content = _problem_content(schema, op)
    return {"description": _UNDECLARED, "content": content}


def _error_content(classes: list[ErrorClass], op: OperationContext) -> Schema:
    """Problem details per class (discriminated by `type`), or the app's error body."""
    content = _format_content(op)
    if content is None:
        content = _problem_content(op.book.errors(classes, op.where), op)
    return content


def _format_content(op: OperationContext) -> Schema | None:
    """The app's own error body under its media type, when it declared an ErrorFormat."""
    fmt = op.errors.format if op.errors is not None else None
    if fmt is None:
        return None
    where = f"{op.where}: the error body {type(fmt).__qualname__}"
    return {fmt.media_type: {"schema": op.book.schema(type(fmt).body_type, where)}}


def _problem_content(schema: Schema, op: OperationContext) -> Schema:
    content: Schema = {PROBLEM_MEDIA_TYPE: {"schema": schema}}
    if op.plan.msgpack:
        content["application/problem+msgpack"] = {"schema": schema}
    return content
