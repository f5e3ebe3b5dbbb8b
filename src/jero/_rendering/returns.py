"""What a handler may return, checked at request time for the price of an identity test.

Wiring builds each encoder for the declared return type, and msgspec would happily
encode a value of some other type with it (`-> Widget` returning a `Gadget` would serve
the gadget). Every encoder therefore starts with `type(value) is cls`, which is all a
correct handler pays, and falls back to `isinstance` for subclasses; anything else is a
`ReturnTypeError` naming the handler, the declared type and the returned one, answered
like any uncaught exception (logged, then the static 500 problem).

A `list[Struct]` return is checked as a list and by its first element only, so the cost
stays constant whatever the length (a list mixing types is not caught).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from .._types import is_union, type_name

type ClassInfo = type[Any] | tuple[type[Any], ...]


class ReturnTypeError(TypeError):
    """A handler returned a value its return annotation does not declare."""


@dataclasses.dataclass(frozen=True, slots=True)
class Expected:
    """The runtime class(es) a return value must be, and the words to say it isn't."""

    cls: ClassInfo
    item: ClassInfo | None
    """For a list: what its elements must be (the first one is checked)."""
    where: str
    """`Books.read_one`: the handler, for the error message."""
    declared: str
    """The return annotation as written, e.g. `Book | NoContent`."""

    def error(self, value: object) -> ReturnTypeError:
        return ReturnTypeError(
            f"{self.where} returned {returned_name(value)}, but its return annotation is "
            f"{self.declared}; return a value of the declared type (or declare the union, "
            f"e.g. -> {self.declared} | {returned_name(value)})"
        )


def expected(tp: Any, where: str, declared: Any) -> Expected:
    """What a value of the body annotation `tp` is at runtime (a Struct, `list[...]`, a
    union of Structs, `str`, `bytes`, or a wrapper class)."""
    origin = typing.get_origin(tp)
    item: ClassInfo | None = None
    if origin is list:
        (element,) = typing.get_args(tp)
        item = runtime_classes(element)
    return Expected(runtime_classes(tp), item, where, type_name(declared))


def runtime_classes(tp: Any) -> ClassInfo:
    if is_union(tp):
        found: list[type[Any]] = []
        for member in typing.get_args(tp):
            each = runtime_classes(member)
            found.extend(each if isinstance(each, tuple) else (each,))
        return tuple(found)
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return runtime_classes(typing.get_args(tp)[0])
    return typing.cast(type[Any], origin if isinstance(origin, type) else tp)


def returned_name(value: object) -> str:
    """The returned value's class; a list names its first element's class too."""
    cls = type(value)
    if cls is list and value:
        first = typing.cast(list[object], value)[0]
        return f"list[{type(first).__qualname__}]"
    return cls.__qualname__
