"""One OpenAPI operation per wired handler, read off its `HandlerPlan`.

Each request source and each response media type is one small function in a table, so
a new source (or streaming kind) is one new entry. Schemas come from a `SchemaBook`
as placeholders that the document builder resolves once every operation is built.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec

from ._auth import AuthPlan
from ._errors import (
    HTTPError,
    InternalServerError,
    InvalidBodyError,
    InvalidInputError,
    NotFoundError,
    OverLimitError,
    WiringError,
    WrongMediaTypeError,
)
from ._meta import OperationDocs
from ._openapi_schema import (
    Schema,
    SchemaBook,
    drop_null,
    is_scalar_info,
    is_scalar_type,
    type_name,
)
from ._openapi_security import SecuritySchemes, auth_errors, challenge_header
from ._render import ResponseShape, build_render_plan, header_wire_name
from ._routes import Template
from ._wiring import HandlerPlan

type ErrorClass = type[HTTPError[Any]]

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclasses.dataclass(frozen=True, slots=True)
class OperationInput:
    """What an operation's builders share: the plan, its merged docs, the schema book."""

    plan: HandlerPlan
    docs: OperationDocs
    book: SchemaBook
    security: SecuritySchemes
    where: str

    @property
    def template(self) -> Template:
        return self.plan.template

    @property
    def auth(self) -> AuthPlan | None:
        auth = self.plan.auth
        return auth if isinstance(auth, AuthPlan) else None


# --- parameters: one function per source ----------------------------------------


def path_parameters(tp: Any, op: OperationInput) -> list[Schema]:
    fields = {f.name: f for f in msgspec.structs.fields(tp)}
    return [
        {
            "name": slot,
            "in": "path",
            "required": True,
            "schema": op.book.schema(fields[slot].type, f"{op.where} path field `{slot}`"),
        }
        for slot in op.template.slots
    ]


def query_parameters(tp: Any, op: OperationInput) -> list[Schema]:
    return _text_parameters(tp, "query", lambda f: f.encode_name, op)


def header_parameters(tp: Any, op: OperationInput) -> list[Schema]:
    return _text_parameters(tp, "header", lambda f: header_wire_name(f.encode_name), op)


def _text_parameters(
    tp: Any,
    location: str,
    wire_name: Callable[[msgspec.structs.FieldInfo], str],
    op: OperationInput,
) -> list[Schema]:
    """Fields whose values arrive as text: scalars, or lists of them from repeated keys."""
    parameters: list[Schema] = []
    for field in msgspec.structs.fields(tp):
        where = f"{op.where} {location} field `{field.name}` of {tp.__name__}"
        if not _is_text_type(field.type):
            raise WiringError(
                f"{where} is {type_name(field.type)}, which a {location} value (text) cannot "
                f"carry; use a scalar (str, int, float, bool, enum, Literal, datetime, uuid) "
                f"or a list of them"
            )
        schema = op.book.schema(field.type, where, adapt=_with_default(field))
        parameters.append(
            {"name": wire_name(field), "in": location, "required": field.required, "schema": schema}
        )
    return parameters


def _is_text_type(tp: Any) -> bool:
    info = msgspec.inspect.type_info(tp)
    members = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return all(_is_text_info(member) for member in members)


def _is_text_info(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, _REPEATED):
        return is_scalar_info(info.item_type)
    return isinstance(info, msgspec.inspect.NoneType) or is_scalar_info(info)


_REPEATED = (
    msgspec.inspect.ListType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
    msgspec.inspect.VarTupleType,
)


def _with_default(field: msgspec.structs.FieldInfo) -> Callable[[Schema], Schema]:
    """A text value is absent or a value, never null; show the field's default if any."""

    def adapt(schema: Schema) -> Schema:
        schema = drop_null(schema)
        schema.pop("default", None)
        if field.default is not msgspec.NODEFAULT and field.default is not None:
            schema["default"] = msgspec.to_builtins(field.default)
        elif field.default_factory is not msgspec.NODEFAULT:
            schema["default"] = msgspec.to_builtins(field.default_factory())
        return schema

    return adapt


# --- request bodies: one function per source ---------------------------------------


def json_body(tp: Any, op: OperationInput) -> Schema:
    schema = op.book.schema(tp, f"{op.where} parameter `json`")
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def raw_body(tp: Any, op: OperationInput) -> Schema:
    # Any media type is accepted and no body is an empty one, so it is not "required";
    # OpenAPI 3.1 describes unstructured bytes by leaving the schema out.
    return {"required": False, "content": {"application/octet-stream": {}}}


@dataclasses.dataclass(frozen=True, slots=True)
class SourceDoc:
    """How one request source appears in an operation, and the errors it can cause."""

    parameters: Callable[[Any, OperationInput], list[Schema]] | None = None
    body: Callable[[Any, OperationInput], Schema] | None = None
    errors: tuple[ErrorClass, ...] = ()


SOURCE_DOCS: dict[str, SourceDoc] = {
    # A path value that does not convert is a 404 (SPEC §4), as is a missing item.
    "path": SourceDoc(parameters=path_parameters, errors=(NotFoundError,)),
    "params": SourceDoc(parameters=query_parameters, errors=(InvalidInputError,)),
    "headers": SourceDoc(parameters=header_parameters, errors=(InvalidInputError,)),
    "raw_headers": SourceDoc(),
    # The mount's authenticator documents itself (security, 401), with or without `user`.
    "user": SourceDoc(),
    "json": SourceDoc(
        body=json_body,
        errors=(InvalidInputError, WrongMediaTypeError, OverLimitError, InvalidBodyError),
    ),
    # A bad Content-Length is a 400 before any byte is read.
    "content": SourceDoc(body=raw_body, errors=(InvalidInputError, OverLimitError)),
}


def source_doc(name: str, op: OperationInput) -> SourceDoc:
    doc = SOURCE_DOCS.get(name)
    if doc is None:
        raise WiringError(
            f"{op.where}: parameter `{name}` has no OpenAPI description yet; leave the "
            f"operation out with OperationMeta(hidden=True)"
        )
    return doc


# --- responses: one function per media type ------------------------------------------


def json_content(bodies: list[Any], op: OperationInput, status: int) -> Schema:
    where = f"{op.where}: the {status} JSON response"
    return {"schema": op.book.schema(_union(bodies), where)}


def ndjson_content(bodies: list[Any], op: OperationInput, status: int) -> Schema:
    # OpenAPI 3.1 has no item schema (3.2's `itemSchema`): `schema` describes one line.
    where = f"{op.where}: the {status} NDJSON stream's items"
    return {"schema": op.book.schema(_union(bodies), where)}


def event_stream_content(bodies: list[Any], op: OperationInput, status: int) -> Schema:
    """One server-sent event, as OpenAPI 3.1 tools read `schema` for text/event-stream:
    `data` is the item as JSON text (or plain text for `str` items)."""
    items = _union(bodies)
    if items is str:
        data: Schema = {"type": "string"}
    else:
        where = f"{op.where}: the {status} event stream's items"
        data = {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": op.book.schema(items, where),
        }
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


def text_content(bodies: list[Any], op: OperationInput, status: int) -> Schema:
    return {"schema": {"type": "string"}}


def binary_content(bodies: list[Any], op: OperationInput, status: int) -> Schema:
    return {}


def _union(types: list[Any]) -> Any:
    distinct = list(dict.fromkeys(types))
    union = distinct[0]
    for member in distinct[1:]:
        union = union | member
    return union


MEDIA_TYPE_DOCS: dict[str, Callable[[list[Any], OperationInput, int], Schema]] = {
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


def response_object(status: int, shapes: list[ResponseShape], op: OperationInput) -> Schema:
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
    if content:
        response["content"] = content
    headers = response_headers([shape.headers_type for shape in shapes], op, status)
    if headers:
        response["headers"] = headers
    return response


def response_headers(
    types: list[type[msgspec.Struct] | None], op: OperationInput, status: int
) -> Schema:
    """Typed response headers; one is required only if every outcome always sends it."""
    headers: Schema = {}
    always: dict[str, bool] = {}
    for tp in dict.fromkeys(t for t in types if t is not None):
        for field in msgspec.structs.fields(tp):
            name = header_wire_name(field.encode_name)
            sent = field.required and not _may_be_none(field.type)
            always[name] = always.get(name, True) and sent
            if name not in headers:
                headers[name] = _header_object(field, op, f"{op.where}: {status} header `{name}`")
    for name, header in headers.items():
        required = always[name] and all(t is not None and _has_header(t, name) for t in types)
        header["required"] = required
    return headers


def _header_object(field: msgspec.structs.FieldInfo, op: OperationInput, where: str) -> Schema:
    schema = op.book.schema(field.type, where, adapt=drop_null)
    if is_scalar_type(field.type):
        return {"schema": schema}
    # Nested values travel as JSON text (SPEC §5).
    return {"content": {"application/json": {"schema": schema}}}


def _has_header(tp: type[msgspec.Struct], name: str) -> bool:
    return any(header_wire_name(f.encode_name) == name for f in msgspec.structs.fields(tp))


def _may_be_none(tp: Any) -> bool:
    info = msgspec.inspect.type_info(tp)
    return isinstance(info, msgspec.inspect.NoneType) or (
        isinstance(info, msgspec.inspect.UnionType)
        and any(isinstance(t, msgspec.inspect.NoneType) for t in info.types)
    )


def extra_shapes(responses: Mapping[int, Any], op: OperationInput) -> list[ResponseShape]:
    """`responses=` metadata: each annotation compiled like a return type, at its status."""
    shapes: list[ResponseShape] = []
    for status, annotation in responses.items():
        if not 100 <= status <= 599:
            raise WiringError(f"{op.where}: responses= has the invalid status {status}")
        where = f"{op.where} responses={{{status}: ...}}"
        for shape in build_render_plan(annotation, status, where).shapes:
            shapes.append(dataclasses.replace(shape, status=status))
    return shapes


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


# --- errors ----------------------------------------------------------------------------


def operation_errors(op: OperationInput) -> list[ErrorClass]:
    """The framework's errors this handler can produce, then the declared ones."""
    found: list[ErrorClass] = []
    for name in op.plan.parameters:
        if name == "path" and not op.template.slots:
            continue
        found.extend(source_doc(name, op).errors)
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


def error_responses(classes: Iterable[ErrorClass], op: OperationInput) -> dict[int, Schema]:
    by_status: dict[int, list[ErrorClass]] = {}
    for cls in classes:
        by_status.setdefault(cls.status, []).append(cls)
    return {
        status: {
            "description": " or ".join(dict.fromkeys(cls.title for cls in found)),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": op.book.errors(found, op.where)}},
        }
        for status, found in sorted(by_status.items())
    }


# --- the operation ---------------------------------------------------------------------


def build_operation(op: OperationInput, docstrings: bool) -> Schema:
    """The OpenAPI operation object of one handler."""
    plan, docs = op.plan, op.docs
    operation: Schema = {
        "operationId": docs.operation_id or f"{plan.owner.__name__}.{plan.operation.name}"
    }
    summary, description = docs.summary, docs.description
    if docstrings:
        doc_summary, doc_description = _docstring(getattr(plan.owner, plan.operation.name))
        summary = summary or doc_summary
        description = description or doc_description
    if summary:
        operation["summary"] = summary
    if description:
        operation["description"] = description
    if docs.tags:
        operation["tags"] = list(docs.tags)
    if docs.deprecated:
        operation["deprecated"] = True
    parameters: list[Schema] = []
    for name, tp in plan.parameters.items():
        source = source_doc(name, op)
        if source.parameters is not None:
            parameters.extend(source.parameters(tp, op))
        if source.body is not None:
            operation["requestBody"] = source.body(tp, op)
    if parameters:
        operation["parameters"] = parameters
    operation["responses"] = _responses(op)
    if op.auth is not None:
        operation["security"] = op.security.requirements(op.auth)
    return operation


def _responses(op: OperationInput) -> Schema:
    by_status: dict[int, list[ResponseShape]] = {}
    for shape in op.plan.render.shapes:
        by_status.setdefault(shape.status, []).append(shape)
    extra: dict[int, list[ResponseShape]] = {}
    for shape in extra_shapes(op.docs.responses, op):
        extra.setdefault(shape.status, []).append(shape)
    by_status.update(extra)  # metadata wins over what the return type says
    responses = {status: response_object(status, found, op) for status, found in by_status.items()}
    for status, response in error_responses(operation_errors(op), op).items():
        if status in responses:
            raise WiringError(
                f"{op.where}: status {status} is documented both as an error (errors=) and "
                f"as a response; keep one"
            )
        responses[status] = response
    challenge = challenge_header(op.auth) if op.auth is not None else None
    if challenge is not None:
        responses[401]["headers"] = {"www-authenticate": challenge}
    return {str(status): responses[status] for status in sorted(responses)}


def _docstring(function: object) -> tuple[str | None, str | None]:
    text = inspect.getdoc(function)
    if not text:
        return None, None
    head, _, rest = text.partition("\n\n")
    return " ".join(head.split()), rest.strip() or None
