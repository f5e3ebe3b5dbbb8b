"""Direct Struct construction for the commonest text-valued shapes, msgspec as referee.

Path and query Structs are usually a few plain `str` and `int` fields. For those, wiring
builds a constructor that converts the text itself and calls the Struct class, which
costs a fraction of `msgspec.convert`. It accepts only what msgspec would accept with
the same result (`int` text follows JSON's integer grammar); anything else raises, and
the caller falls back to `msgspec.convert`, whose verdict and error message stand. The
benchmarks in benchmarks/inproc.py show the difference on `GET /items/{id}?limit=`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .._types import struct_fields, struct_hints

type TextFields = tuple[tuple[str, str, bool], ...]
"""(attribute name, encoded name, is int) for each field, in declaration order."""


class NotFastError(Exception):
    """The fast constructor declined; the caller must use msgspec."""


_MISSING: Any = object()


def plain_text_fields(struct: type[msgspec.Struct]) -> TextFields | None:
    """The fields when every one is exactly `str` or `int` (no constraints), else None."""
    hints = struct_hints(struct)
    fields: list[tuple[str, str, bool]] = []
    for field in struct_fields(struct):
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


type Bind = Callable[[Any, Sequence[str]], Any]
"""A synchronous binder, `bind(scope, slot_values)` (as in `_binding`)."""


def path_binder(struct: type[msgspec.Struct], slots: Sequence[str], slow: Bind) -> Bind:
    """Bind the path Struct directly when it is plain, else (or on refusal) via `slow`."""
    fields = plain_text_fields(struct)
    if fields is None:
        return slow
    position = {slot: index for index, slot in enumerate(slots)}
    plan = tuple((position[name], is_int) for name, _, is_int in fields)
    if plan == ((0, True),):  # the commonest route of all: one integer id

        def bind_int_id(scope: Any, values: Sequence[str]) -> Any:
            text = values[0]
            if text.isdigit() and text.isascii() and len(text) <= 18 and text[0] != "0":
                return struct(int(text))
            return slow(scope, values)

        return bind_int_id

    def bind_path(scope: Any, values: Sequence[str]) -> Any:
        try:
            return struct(*[int_text(values[i]) if is_int else values[i] for i, is_int in plan])
        except Exception:  # declined, or the Struct refused: msgspec has the last word
            return slow(scope, values)

    return bind_path


def query_binder(struct: type[msgspec.Struct], slow: Bind) -> Bind:
    """Bind the params Struct directly from a plain (unencoded, ASCII) query string when
    the Struct is plain, else (or on refusal) via `slow`."""
    fields = plain_text_fields(struct)
    if fields is None:
        return slow
    defaults: list[Any] = []
    for field in struct_fields(struct):
        if field.default_factory is not msgspec.NODEFAULT:
            return slow  # a fresh value per request: leave it to msgspec
        defaults.append(_MISSING if field.default is msgspec.NODEFAULT else field.default)
    by_key = {
        encoded: (index, is_int, 1 << index) for index, (_, encoded, is_int) in enumerate(fields)
    }
    required = _MISSING in defaults
    # An unknown key is msgspec's to refuse (a 400 naming it) when the Struct forbids them.
    forbid = struct.__struct_config__.forbid_unknown_fields

    def bind_query(scope: Any, values: Sequence[str]) -> Any:
        args = defaults.copy()
        seen = 0  # a bit per field: a repeated key is the slow path's 400
        try:
            text = scope["query_string"].decode("ascii")  # encoded bytes go to msgspec
            if "%" in text or "+" in text:  # (a str search: `in` on bytes is far slower)
                return slow(scope, values)
            for part in text.split("&") if "&" in text else (text,):
                key, _, value = part.partition("=")
                entry = by_key.get(key)
                if entry is not None:
                    index, is_int, bit = entry
                    if seen & bit:
                        raise NotFastError
                    seen |= bit
                    if not is_int:
                        args[index] = value
                    elif value.isdigit() and len(value) <= 18 and value[0] != "0":  # ASCII here
                        args[index] = int(value)
                    else:
                        args[index] = int_text(value)
                elif forbid:
                    return slow(scope, values)
            if required and _MISSING in args:  # msgspec words the missing-field error
                return slow(scope, values)
            return struct(*args)
        except Exception:  # declined, or the Struct refused: msgspec has the last word
            return slow(scope, values)

    return bind_query
