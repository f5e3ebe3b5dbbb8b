"""Wiring-time facts about Struct types, computed once per type however many routes
use it (a thousand routes over one path Struct ask the same questions a thousand times)."""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

import msgspec


@functools.cache
def struct_fields(struct: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    """`msgspec.structs.fields`, remembered."""
    return msgspec.structs.fields(struct)


@functools.cache
def struct_hints(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The Struct's resolved field annotations (with `Annotated` kept), remembered."""
    return typing.get_type_hints(struct, include_extras=True)


def is_union(tp: Any) -> bool:
    """`A | B` and `Optional[A]`, however they were spelled."""
    return typing.get_origin(tp) in (types.UnionType, typing.Union)
