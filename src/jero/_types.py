"""Wiring-time facts about annotations and Struct types: the base every phase stands on.

Everything here is pure introspection, asked at startup only; per-type answers are
remembered, since a thousand routes over one path Struct ask the same questions a
thousand times.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

import msgspec

from ._errors import WiringError


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


def is_subclass(tp: Any, base: type[Any]) -> bool:
    """`issubclass` for any annotation: False for what is not a class."""
    return isinstance(tp, type) and issubclass(tp, base)


def is_struct_type(tp: Any) -> bool:
    return is_subclass(tp, msgspec.Struct)


def is_json_body_type(tp: Any) -> bool:
    """A Struct, `list[Struct]`, or a union of Structs (tagged, so msgspec can decode it)."""
    if is_struct_type(tp):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list and len(args) == 1:
        return is_json_body_type(args[0])
    if is_union(tp):
        return all(is_struct_type(a) for a in args)
    return False


def union_members(tp: Any) -> tuple[Any, ...]:
    if is_union(tp):
        return typing.get_args(tp)
    return (tp,)


def type_name(tp: Any) -> str:
    """An annotation as its author wrote it: `Created[Book]`, `list[Book]`, `A | None`
    (no module prefixes, no `typing.`); every wiring message names types with it."""
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, typing.TypeAliasType):
        return tp.__name__
    if is_union(tp):
        return " | ".join(type_name(member) for member in typing.get_args(tp))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is not None and origin is not list:
        # `Created[Book]` reads back as `Created[Book, None]`: drop defaulted headers.
        while args and args[-1] is None:
            args = args[:-1]
    if origin is not None and args:
        return f"{type_name(origin)}[{', '.join(type_name(a) for a in args)}]"
    if isinstance(tp, type):
        return tp.__qualname__
    return _MODULE_PREFIX.sub("", repr(tp))


_MODULE_PREFIX = re.compile(r"\b(?:\w+\.)+(?=\w)")


def union_of(members: Iterable[Any]) -> Any:
    """`A | B | ...` of `members`, each once, in order."""
    distinct = list(dict.fromkeys(members))
    union = distinct[0]
    for member in distinct[1:]:
        union = union | member
    return union


def unaliased(tp: Any) -> Any:
    """`type Payload = A | B` (PEP 695) → `A | B`: binders, codecs and schemas need the
    value, not the alias."""
    while isinstance(tp, typing.TypeAliasType):
        tp = tp.__value__
    return tp


def is_list_type(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return is_list_type(typing.get_args(tp)[0])
    if origin in (list, tuple, set, frozenset):
        return True
    return any(is_list_type(a) for a in typing.get_args(tp) if origin is not None and a is not None)


_CASE_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def header_wire_name(encode_name: str) -> str:
    """`x_rate_limit`, `xRateLimit` and `XRateLimit` all travel as `x-rate-limit`."""
    return _CASE_HUMP.sub("-", encode_name).lower().replace("_", "-")


def headers_arg(args: tuple[Any, ...], where: str) -> type[msgspec.Struct] | None:
    """The typed-headers argument of a response wrapper (`JSONResponse[T, H]`), if any."""
    if not args or args[0] is None or args[0] is type(None):
        return None
    if not is_struct_type(args[0]):
        raise WiringError(
            f"{where}: response headers type {type_name(args[0])} must be a msgspec Struct"
        )
    return args[0]
