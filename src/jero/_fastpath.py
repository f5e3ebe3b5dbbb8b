"""Direct Struct construction for the commonest text-valued shapes, msgspec as referee.

Path and query Structs are usually a few plain `str` and `int` fields. For those, wiring
builds a constructor that converts the text itself and calls the Struct class, which
costs a fraction of `msgspec.convert`. It accepts only what msgspec would accept with
the same result (`int` text follows JSON's integer grammar); anything else raises, and
the caller falls back to `msgspec.convert`, whose verdict and error message stand. The
benchmarks in benchmarks/inproc.py show the difference on `GET /items/{id}?limit=`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

type TextFields = tuple[tuple[str, str, bool], ...]
"""(attribute name, encoded name, is int) for each field, in declaration order."""


class NotFastError(Exception):
    """The fast constructor declined; the caller must use msgspec."""


_MISSING: Any = object()


def plain_text_fields(struct: type[msgspec.Struct]) -> TextFields | None:
    """The fields when every one is exactly `str` or `int` (no constraints), else None."""
    hints = typing.get_type_hints(struct)
    fields: list[tuple[str, str, bool]] = []
    for field in msgspec.structs.fields(struct):
        kind = hints[field.name]
        if kind is not str and kind is not int:
            return None
        fields.append((field.name, field.encode_name, kind is int))
    return tuple(fields)


def int_text(text: str) -> int:
    """`int(text)` for JSON-style integer text that fits 64 bits; NotFastError otherwise."""
    if text.isdigit() and text.isascii() and len(text) <= 18 and text[0] != "0":
        return int(text)
    if text == "0":
        return 0
    if text[:1] == "-" and text[1:2] != "0":
        digits = text[1:]
        if digits.isdigit() and digits.isascii() and len(digits) <= 18:
            return int(text)
    raise NotFastError


def path_constructor(
    struct: type[msgspec.Struct], slots: Sequence[str]
) -> Callable[[Sequence[str]], Any] | None:
    """Build the path Struct from slot values in template order, or None if not plain."""
    fields = plain_text_fields(struct)
    if fields is None:
        return None
    position = {slot: index for index, slot in enumerate(slots)}
    plan = tuple((position[name], is_int) for name, _, is_int in fields)
    if len(plan) == 1:
        ((index, is_int),) = plan
        if is_int:
            return lambda values: struct(int_text(values[index]))
        return lambda values: struct(values[index])

    def construct(values: Sequence[str]) -> Any:
        return struct(*[int_text(values[i]) if is_int else values[i] for i, is_int in plan])

    return construct


def query_constructor(struct: type[msgspec.Struct]) -> Callable[[bytes], Any] | None:
    """Build the params Struct from a plain (unencoded, ASCII) query string, or None."""
    fields = plain_text_fields(struct)
    if fields is None:
        return None
    defaults: list[Any] = []
    for field in msgspec.structs.fields(struct):
        if field.default_factory is not msgspec.NODEFAULT:
            return None  # a fresh value per request: leave it to msgspec
        defaults.append(_MISSING if field.default is msgspec.NODEFAULT else field.default)
    by_key = {encoded: (index, is_int) for index, (_, encoded, is_int) in enumerate(fields)}

    def construct(query: bytes) -> Any:
        if not query.isascii():
            raise NotFastError
        text = query.decode("ascii")
        if "%" in text or "+" in text:  # (a str search: `in` on bytes is far slower)
            raise NotFastError
        args = defaults.copy()
        seen = 0
        for part in text.split("&"):
            key, _, value = part.partition("=")
            entry = by_key.get(key)
            if entry is not None and not seen >> entry[0] & 1:  # the first value wins
                seen |= 1 << entry[0]
                args[entry[0]] = int_text(value) if entry[1] else value
        if _MISSING in args:  # a required field is absent: msgspec words that error
            raise NotFastError
        return struct(*args)

    return construct
