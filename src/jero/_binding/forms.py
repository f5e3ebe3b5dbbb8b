"""`form: S`: a multipart or urlencoded body bound to a Struct, one field per part.

Wiring reads the Struct once and gives every field a converter for the part(s) that
carry it: text converted to the field's type, raw `bytes`, a Struct decoded from a JSON
part, a `FilePart`, or a `FormPart` (a value plus its part's metadata); `list[...]`
collects repeated names. At request time the body is read into parts
(`form_reader`) and each field is one converter call; the Struct is then built
directly, so no msgspec decoder ever sees a `FilePart`.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import typing
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec

from .._asgi import Receive, Scope
from .._errors import (
    InputProblem,
    InvalidBodyError,
    InvalidInputError,
    MediaTypeProblem,
    WiringError,
    WrongMediaTypeError,
    describe_decode_error,
)
from .._headers import RawHeaders
from .._types import (
    header_wire_name,
    is_json_body_type,
    is_struct_type,
    is_union,
    struct_fields,
    struct_hints,
    type_name,
    union_of,
)
from .base import BODY, BindContext, Binder, Limits, require_struct
from .body import INVALID_UTF8, TOO_DEEP, json_decoder, read_body
from .form_reader import (
    Part,
    Parts,
    TextPart,
    Wanted,
    parse_content_type,
    parse_urlencoded,
    read_multipart,
)
from .uploads import FilePart, Spool

__all__ = ["FormPart"]

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
_SPOOLS = "jero.spools"
"""Scope key of the request's on-disk spools, closed by `release_spools`."""


class FormPart[T, H = None]:
    """A part's value with its metadata: `form.avatar: FormPart[bytes, AvatarHeaders]`.

    `value` is converted like a plain field of type `T`; `headers` is the part headers
    converted to the Struct `H` (header `X-Checksum` fills field `x_checksum`), or None
    when `H` is not given; `raw_headers` is every part header as sent.
    """

    __slots__ = ("content_type", "filename", "headers", "name", "raw_headers", "value")

    headers: H

    def __init__(
        self,
        value: T,
        *,
        name: str = "",
        filename: str | None = None,
        content_type: str | None = None,
        headers: Any = None,
        raw_headers: RawHeaders | None = None,
    ) -> None:
        self.value = value
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.headers = headers
        self.raw_headers = raw_headers if raw_headers is not None else RawHeaders()

    def __repr__(self) -> str:
        return (
            f"FormPart(value={self.value!r}, name={self.name!r}, "
            f"content_type={self.content_type!r}, headers={self.headers!r})"
        )


class PartError(Exception):
    """A part that does not convert to its field's type; `reason` never holds its value.
    `malformed`: the part cannot be read at all (a 400, not a 422)."""

    def __init__(self, reason: str, *, malformed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.malformed = malformed


type Convert = Callable[[Any], Any]


class PartKind(enum.Enum):
    """What one part carries: how the binder converts it and how the document shows it."""

    TEXT = enum.auto()
    """Text converted to the value type (str, int, an enum, a date...)."""
    BYTES = enum.auto()
    """The part's raw bytes: `bytes`."""
    JSON = enum.auto()
    """A JSON document: a Struct, a union or list of Structs, a `dict`."""
    FILE = enum.auto()
    """An upload, handed over as a `FilePart`."""


@dataclasses.dataclass(frozen=True, slots=True)
class FieldShape:
    """One field of a `form:` Struct, read once from its annotation: the binder converts
    its parts by it and the OpenAPI document describes them by it."""

    field: msgspec.structs.FieldInfo
    optional: bool
    """`X | None`: without a part the field is None."""
    repeated: bool
    """`list[X]`: every part of the name, in order."""
    list_metadata: tuple[Any, ...]
    """The constraints of `Annotated[list[X], Meta(...)]`, checked on the whole list."""
    value: Any
    """The type one part's value converts to (`T` of `FormPart[T, H]`)."""
    kind: PartKind
    form_part: bool
    """The value comes as a `FormPart`, with its part's metadata."""
    part_headers: type[msgspec.Struct] | None
    """`H` of `FormPart[T, H]`: the part headers, converted."""


@dataclasses.dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one Struct field is filled from the parts named `key`."""

    attr: str
    key: str
    convert: Convert
    file: bool
    repeated: bool
    optional: bool
    has_default: bool
    check_list: Callable[[list[Any]], list[Any]] | None


# --- wiring -------------------------------------------------------------------------


def field_shapes(struct: type[msgspec.Struct], where: str) -> Iterator[FieldShape]:
    """Each field's shape, in order; one that no part can carry is a WiringError."""
    hints = struct_hints(struct)
    for field in struct_fields(struct):
        at = f"{where}: field `{field.name}` of {struct.__name__}"
        tp, optional = _strip_none(hints[field.name])
        repeated, element, list_metadata = _unwrap_list(tp, at)
        value, kind, form_part, part_headers = _part_shape(element, at)
        yield FieldShape(
            field, optional, repeated, list_metadata, value, kind, form_part, part_headers
        )


def plan_form(struct: type[msgspec.Struct], where: str) -> tuple[FieldPlan, ...]:
    return tuple(
        FieldPlan(
            attr=shape.field.name,
            key=shape.field.encode_name,
            convert=_converter(shape),
            file=shape.kind is PartKind.FILE,
            repeated=shape.repeated,
            optional=shape.optional,
            has_default=not shape.field.required,
            check_list=_list_check(shape.list_metadata),
        )
        for shape in field_shapes(struct, where)
    )


def _strip_none(tp: Any) -> tuple[Any, bool]:
    if is_union(tp):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) < len(typing.get_args(tp)):
            return union_of(members), True
    return tp, False


def _unwrap_list(tp: Any, at: str) -> tuple[bool, Any, tuple[Any, ...]]:
    """(repeated, element type, list-level constraints such as max_length)."""
    metadata: tuple[Any, ...] = ()
    base = tp
    if typing.get_origin(tp) is typing.Annotated:
        base, *extra = typing.get_args(tp)
        metadata = tuple(extra)
    origin = typing.get_origin(base)
    if origin in (tuple, set, frozenset):
        raise WiringError(f"{at}: collect repeated parts with list[...], not {origin.__name__}")
    if origin is not list:
        return False, tp, ()
    (element,) = typing.get_args(base)
    if typing.get_origin(element) is list:
        raise WiringError(f"{at}: list[list[...]] has no form encoding; use one list")
    return True, element, metadata


def _part_shape(tp: Any, at: str) -> tuple[Any, PartKind, bool, type[msgspec.Struct] | None]:
    """One part of type `tp`: (value type, its kind, a FormPart?, the FormPart's headers)."""
    base = _unannotated(tp)
    if base is FilePart:
        return FilePart, PartKind.FILE, False, None
    if typing.get_origin(base) is FormPart or base is FormPart:
        args = typing.get_args(base)
        if not args:
            raise WiringError(f"{at}: FormPart needs its value type, e.g. FormPart[bytes]")
        value, headers = args[0], args[1] if len(args) > 1 else None
        if typing.get_origin(value) is list or _strip_none(value)[1]:
            raise WiringError(
                f"{at}: FormPart[{type_name(value)}] is one part; write list[FormPart[T]] "
                f"for repeats and FormPart[T] | None for an optional part"
            )
        return value, _value_kind(value, at), True, _part_headers_type(headers, at)
    return tp, _value_kind(tp, at), False, None


def _unannotated(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def _value_kind(tp: Any, at: str) -> PartKind:
    """How a part's bytes become a value of `tp` (a plain field, or `FormPart[T]`'s `T`)."""
    base = _unannotated(tp)
    if base is bytes:
        return PartKind.BYTES
    if base is FilePart or typing.get_origin(base) is FormPart or base is FormPart:
        raise WiringError(f"{at}: FormPart[...] carries a value, not {type_name(base)}")
    if is_json_body_type(base) or _is_json_container(base):
        return PartKind.JSON
    if _is_text_type(base):
        return PartKind.TEXT
    raise WiringError(
        f"{at}: {type_name(tp)} cannot be read from a form part; use str, int, float, bool, an "
        f"enum, a Literal, a date/time, uuid, bytes, a Struct (a JSON part), FilePart, "
        f"FormPart[T] or list[...] of those"
    )


def _part_headers_type(headers_type: Any, at: str) -> type[msgspec.Struct] | None:
    if headers_type is None or headers_type is type(None):
        return None
    if not is_struct_type(headers_type):
        raise WiringError(
            f"{at}: the part headers type {type_name(headers_type)} must be a msgspec Struct"
        )
    return headers_type


_TEXT_TYPES: frozenset[Any] = frozenset(
    {
        str,
        int,
        float,
        bool,
        decimal.Decimal,
        datetime.datetime,
        datetime.date,
        datetime.time,
        datetime.timedelta,
        uuid.UUID,
    }
)


def _is_text_type(tp: Any) -> bool:
    """Types msgspec converts from a string."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _is_text_type(typing.get_args(tp)[0])
    if origin is typing.Literal:
        return True
    if is_union(tp):
        return all(_is_text_type(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return True
    return tp in _TEXT_TYPES


def _is_json_container(tp: Any) -> bool:
    """`dict[str, X]` parts are JSON too."""
    return typing.get_origin(tp) is dict


# --- converters, built at wiring --------------------------------------------------------


def _converter(shape: FieldShape) -> Convert:
    """One part → the field's value (or one list item's)."""
    if shape.kind is PartKind.FILE:
        return _file_part
    convert = _value_converter(shape.value, shape.kind)
    if shape.form_part:
        return _form_part_converter(convert, _part_headers_converter(shape.part_headers))
    return convert


def _value_converter(tp: Any, kind: PartKind) -> Convert:
    if kind is PartKind.BYTES:
        return _part_bytes
    if kind is PartKind.JSON:
        return _json_converter(tp)
    # A checked HTML checkbox sends "on"; a plain bool field takes it as true.
    return _text_converter(tp, accepts_on=_unannotated(tp) is bool)


def _list_check(metadata: tuple[Any, ...]) -> Callable[[list[Any]], list[Any]] | None:
    """The check of list-level constraints (max_length...), if the list has any."""
    if not metadata:
        return None
    constrained: Any = typing.Annotated[list[Any], *metadata]

    def check_list(values: list[Any]) -> list[Any]:
        try:
            msgspec.convert(values, constrained)
        except msgspec.ValidationError as error:
            raise PartError(describe_decode_error(error)) from None
        return values

    return check_list


def _file_part(part: FilePart) -> FilePart:
    """A file is a part with a filename (RFC 7578 §4.2), even an empty one; a text part
    or an urlencoded field for a `FilePart` field is refused, not passed on as a file."""
    if part.filename is None:
        raise PartError("Expected a file part (one with a filename), got a text part")
    return part


def _part_bytes(part: TextPart) -> bytes:
    return part.data


def _part_text(part: TextPart) -> str:
    try:
        return part.data.decode(part.charset or "utf-8")
    except LookupError:
        raise PartError("Unknown charset of the part") from None
    except UnicodeDecodeError:
        raise PartError(f"The part is not valid {part.charset or 'utf-8'} text") from None


def _text_converter(tp: Any, accepts_on: bool) -> Convert:
    def convert_text(part: TextPart) -> Any:
        text = _part_text(part)
        if accepts_on and text == "on":
            return True
        try:
            return msgspec.convert(text, tp, strict=False)
        except msgspec.ValidationError as error:
            raise PartError(describe_decode_error(error)) from None

    return convert_text


def _json_converter(tp: Any) -> Convert:
    decode = json_decoder(tp)

    def convert_json(part: TextPart) -> Any:
        try:
            return decode(part.data)
        except msgspec.DecodeError as error:  # ValidationError included
            raise PartError(describe_decode_error(error)) from None
        except UnicodeDecodeError:  # msgspec raises it for invalid UTF-8 inside a string
            raise PartError(INVALID_UTF8) from None
        except RecursionError:
            raise PartError(TOO_DEEP, malformed=True) from None

    return convert_json


def _form_part_converter(
    convert_value: Convert, convert_headers: Callable[[Sequence[tuple[str, str]]], Any]
) -> Convert:
    def convert_form_part(part: TextPart) -> FormPart[Any, Any]:
        return FormPart(
            convert_value(part),
            name=part.name,
            filename=part.filename,
            content_type=part.content_type,
            headers=convert_headers(part.headers),
            raw_headers=RawHeaders(part.headers),
        )

    return convert_form_part


def _part_headers_converter(
    struct: type[msgspec.Struct] | None,
) -> Callable[[Sequence[tuple[str, str]]], Any]:
    if struct is None:
        return _no_headers
    wire = {header_wire_name(f.encode_name): f.encode_name for f in struct_fields(struct)}

    def convert_headers(headers: Sequence[tuple[str, str]]) -> Any:
        found: dict[str, str] = {}
        for name, value in headers:
            key = wire.get(name.lower())
            if key is not None:
                found.setdefault(key, value)
        try:
            return msgspec.convert(found, struct, strict=False)
        except msgspec.ValidationError as error:
            raise PartError(f"{describe_decode_error(error)} (in the part headers)") from None

    return convert_headers


def _no_headers(headers: Sequence[tuple[str, str]]) -> None:
    return None


# --- request time -----------------------------------------------------------------------


def _invalid(error: PartError, path: str) -> InvalidBodyError | InvalidInputError:
    """422 naming the field (400 for a part that cannot be read at all); a nested path
    from a JSON part is kept under it."""
    reason = error.reason
    if " - at `$" in reason:
        reason = reason.replace(" - at `$", f" - at `{path}", 1)
    else:
        reason = f"{reason} - at `{path}`"
    if error.malformed:
        return InvalidInputError(InputProblem("form", reason))
    return InvalidBodyError(InputProblem("form", reason))


def assemble(struct: type[msgspec.Struct], plans: tuple[FieldPlan, ...], parts: Parts) -> Any:
    """Build the Struct from its parts; a missing or failing part is a 422."""
    values: dict[str, Any] = {}
    for plan in plans:
        found = parts.get(plan.key)
        if not found:
            if plan.has_default:
                continue
            if plan.optional:
                values[plan.attr] = None
                continue
            reason = f"Object missing required field `{plan.key}`"
            raise InvalidBodyError(InputProblem("form", reason))
        if plan.repeated:
            values[plan.attr] = _convert_all(plan, found)
        else:
            try:
                values[plan.attr] = plan.convert(found[0])
            except PartError as error:
                raise _invalid(error, f"$.{plan.key}") from None
    try:
        return struct(**values)
    except (TypeError, ValueError) as error:  # raised by a __post_init__ check
        raise InvalidBodyError(InputProblem("form", str(error))) from None


def _convert_all(plan: FieldPlan, found: list[Part]) -> list[Any]:
    converted: list[Any] = []
    for index, part in enumerate(found):
        try:
            converted.append(plan.convert(part))
        except PartError as error:
            raise _invalid(error, f"$.{plan.key}[{index}]") from None
    if plan.check_list is not None:
        try:
            plan.check_list(converted)
        except PartError as error:
            raise _invalid(error, f"$.{plan.key}") from None
    return converted


def release_spools(scope: Scope) -> None:
    """Close the request's on-disk spools; runs once the response is sent (or failed)."""
    spools: list[Spool] | None = scope.pop(_SPOOLS, None)
    if spools:
        for spool in spools:
            spool.close()


def build_form(tp: Any, ctx: BindContext) -> Binder:
    struct = require_struct(tp, ctx)
    plans = plan_form(struct, ctx.where)
    wanted = Wanted(
        names=frozenset(p.key for p in plans),
        files=frozenset(p.key for p in plans if p.file),
    )
    limits: Limits = ctx.limits
    expected = f"{MULTIPART} or {URLENCODED}"

    async def bind_form(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        kind, options = parse_content_type(scope)
        if kind == MULTIPART:
            boundary = options.get("boundary")
            if not boundary:
                raise InvalidInputError(
                    InputProblem("headers", "multipart/form-data without a boundary")
                )

            def on_disk(spool: Spool) -> None:
                scope.setdefault(_SPOOLS, []).append(spool)

            parts = await read_multipart(
                scope, receive, boundary=boundary, wanted=wanted, limits=limits, on_disk=on_disk
            )
        elif kind == URLENCODED:
            body = await read_body(
                scope,
                receive,
                limits.max_form_size,
                limits.body_timeout,
                min_rate=limits.body_min_rate,
            )
            parts = parse_urlencoded(body, wanted, limits)
        else:
            raise WrongMediaTypeError(MediaTypeProblem(expected, kind or "none"))
        return assemble(struct, plans, parts)

    return Binder(bind_form, awaits=True, phase=BODY, release=release_spools)
