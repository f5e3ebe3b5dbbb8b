"""Which Struct fields a text-valued source can bind, decided at wiring.

A query, header, cookie or path value is text converted to the field's type. A field
whose type no text converts to (a nested Struct, a dict, `bytes`...) would fail every
request that sends it, so it is a `WiringError` — whether or not the OpenAPI document,
which describes the same fields, is wired (it reads the same rule from here).

`forbid_unknown_fields=True` is honoured on a `params` Struct (an unknown query key is a
400 naming the key), and refused on `headers` / `cookies` Structs: every request carries
headers and cookies the Struct does not name (`host`, `user-agent`, a tracking cookie),
so the option could only ever reject.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._errors import WiringError
from .._types import struct_fields, type_name
from .base import BindContext, require_struct

SCALAR_INFO_TYPES = (
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.StrType,
    msgspec.inspect.BoolType,
    msgspec.inspect.EnumType,
    msgspec.inspect.LiteralType,
    msgspec.inspect.DateTimeType,
    msgspec.inspect.DateType,
    msgspec.inspect.TimeType,
    msgspec.inspect.TimeDeltaType,
    msgspec.inspect.UUIDType,
    msgspec.inspect.DecimalType,
)
"""The msgspec type-info nodes one text value converts to."""

_REPEATED = (
    msgspec.inspect.ListType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
    msgspec.inspect.VarTupleType,
)

_SOURCE_WORDS = {"query": "a query", "headers": "a header", "cookies": "a cookie", "path": "a path"}


def unwrap(info: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """Through `Annotated[T, Meta(description=...)]` to `T`'s node."""
    while isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info


def members_of(tp: Any) -> tuple[msgspec.inspect.Type, ...]:
    """The type-info nodes of `tp`, one per union member."""
    info = unwrap(msgspec.inspect.type_info(tp))
    members = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return tuple(unwrap(member) for member in members)


def is_scalar_info(info: msgspec.inspect.Type) -> bool:
    return isinstance(unwrap(info), SCALAR_INFO_TYPES)


def is_text_type(tp: Any, *, repeated: bool = True) -> bool:
    """Whether text values convert to `tp`: scalars, `None`, and (unless `repeated` is
    False, as for a path segment) lists of scalars from repeated keys."""
    for info in members_of(tp):
        if isinstance(info, _REPEATED) and repeated:
            if not is_scalar_info(unwrap(info.item_type)):
                return False
        elif not (isinstance(info, msgspec.inspect.NoneType) or is_scalar_info(info)):
            return False
    return True


def require_text_struct(tp: Any, ctx: BindContext, source: str) -> type[msgspec.Struct]:
    """The Struct of a text-valued source (`query`, `headers`, `cookies`, `path`), or a
    `WiringError` naming the first field no request could ever bind."""
    struct = require_struct(tp, ctx)
    words = _SOURCE_WORDS[source]
    if source in ("headers", "cookies") and struct.__struct_config__.forbid_unknown_fields:
        raise WiringError(
            f"{ctx.where}: {struct.__name__} sets forbid_unknown_fields=True, but every request "
            f"carries {source} it does not name; remove the option (only the fields it "
            f"declares are read)"
        )
    for field in struct_fields(struct):
        if is_text_type(field.type, repeated=source != "path"):
            continue
        what = "a scalar" if source == "path" else "a scalar or a list of them"
        raise WiringError(
            f"{ctx.where}: field `{field.name}` of {struct.__name__} is "
            f"{type_name(field.type)}, which {words} value (text) cannot carry; use {what} "
            f"(str, int, float, bool, enum, Literal, datetime, uuid, Decimal)"
        )
    return struct
