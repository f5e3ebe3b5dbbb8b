"""The text-valued sources: `path`, `params` (the query string), `headers` and
`raw_headers`. Each reads what the server already parsed into the scope; none awaits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from .._asgi import HeaderList, Scope
from .._errors import (
    InputProblem,
    InvalidInputError,
    InvalidPathValueError,
    WiringError,
    describe_decode_error,
)
from .._headers import RawHeaders
from .._types import header_wire_name, struct_fields
from .base import BindContext, Binder, list_fields, struct_converter
from .fastpath import path_binder, query_binder
from .text_fields import require_text_struct

# --- path -------------------------------------------------------------------------


def build_path(tp: Any, ctx: BindContext) -> Binder:
    struct = require_text_struct(tp, ctx, "path")
    fields = {f.name: f for f in struct_fields(struct)}
    for name, field in fields.items():
        if field.default is not msgspec.NODEFAULT or field.default_factory is not msgspec.NODEFAULT:
            raise WiringError(
                f"{ctx.where}: field `{name}` of {struct.__name__} has a default; path "
                f"values are always present, remove the default"
            )
    missing = [slot for slot in ctx.slots if slot not in fields]
    if missing:
        raise WiringError(
            f"{ctx.where}: {struct.__name__} lacks a field for the slot {{{missing[0]}}}; "
            f"add `{missing[0]}: str` (or int, uuid...) to it"
        )
    extra = [name for name in fields if name not in ctx.slots]
    if extra:
        raise WiringError(
            f"{ctx.where}: field `{extra[0]}` of {struct.__name__} is not a slot of the "
            f"route's path; remove it or add {{{extra[0]}}} to the path"
        )
    keys = tuple(fields[slot].encode_name for slot in ctx.slots)

    def convert_path(scope: Scope, values: Sequence[str]) -> Any:
        try:
            return msgspec.convert(dict(zip(keys, values, strict=True)), struct, strict=False)
        except msgspec.ValidationError as error:
            reason = InputProblem("path", describe_decode_error(error))
            raise InvalidPathValueError().because(reason) from None

    return Binder(path_binder(struct, ctx.slots, convert_path))


# --- query ------------------------------------------------------------------------


def parse_query(query: bytes) -> list[tuple[str, str]]:
    """Split a query string; percent-decoding only when something is encoded.

    Raw non-ASCII bytes (curl sends them unencoded) are UTF-8 either way, so a value
    reads the same whether or not another pair happens to be percent-encoded.
    """
    text = query.decode("utf-8", "replace")
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    for part in text.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def _repeated(source: str, name: str) -> InvalidInputError:
    """400: a single-valued query key or header sent more than once."""
    return InvalidInputError(
        InputProblem(source, f"`{name}` was sent more than once; it takes one value")
    )


def collect_query(
    pairs: Sequence[tuple[str, str]], lists: frozenset[str], names: frozenset[str]
) -> dict[str, Any]:
    """Query pairs by key: list fields gather repeats, other fields take one value; a key
    the Struct does not name is left to msgspec (ignored, or refused by
    `forbid_unknown_fields`)."""
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key in lists:
            values.setdefault(key, []).append(value)
        elif key not in values:
            values[key] = value
        elif key in names:
            raise _repeated("query", key)
    return values


def build_params(tp: Any, ctx: BindContext) -> Binder:
    struct = require_text_struct(tp, ctx, "query")
    convert = struct_converter(struct, "query")
    lists = list_fields(struct)
    names = frozenset(f.encode_name for f in struct_fields(struct))

    def convert_query(scope: Scope, values: Sequence[str]) -> Any:
        query: bytes = scope["query_string"]
        return convert(collect_query(parse_query(query), lists, names) if query else {})

    return Binder(query_binder(struct, convert_query))


# --- headers ----------------------------------------------------------------------


def header_collector(struct: type[msgspec.Struct]) -> Callable[[HeaderList], dict[str, Any]]:
    """Pick the headers a Struct's fields name, keyed by encoded field name, as text.

    Shared by the `headers` source and the authenticator's `headers` credentials, which
    differ only in what a missing field means (a 400 there, a 401 for credentials).
    """
    lists = list_fields(struct)
    wire = {
        header_wire_name(f.encode_name).encode("latin-1"): f.encode_name
        for f in struct_fields(struct)
    }

    def collect_headers(headers: HeaderList) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, value in headers:
            key = wire.get(name)
            if key is not None:
                text = value.decode("latin-1")
                if key in lists:
                    # A list-valued field may arrive as repeated lines or as one
                    # comma-separated line; HTTP treats both the same (RFC 9110 §5.3).
                    items = (item.strip() for item in text.split(","))
                    found.setdefault(key, []).extend(item for item in items if item)
                elif key in found:
                    # RFC 9110 §5.3: only list-valued fields may repeat. Two Authorization
                    # lines must not let the first silently win (or a proxy pick the other).
                    raise _repeated("headers", name.decode("latin-1"))
                else:
                    found[key] = text
        return found

    return collect_headers


def build_headers(tp: Any, ctx: BindContext) -> Binder:
    struct = require_text_struct(tp, ctx, "headers")
    convert = struct_converter(struct, "headers")
    collect_headers = header_collector(struct)

    def bind_headers(scope: Scope, values: Sequence[str]) -> Any:
        return convert(collect_headers(scope["headers"]))

    return Binder(bind_headers)


def build_raw_headers(tp: Any, ctx: BindContext) -> Binder:
    if tp is not RawHeaders:
        raise WiringError(f"{ctx.where} must be annotated `RawHeaders`")

    def bind_raw_headers(scope: Scope, values: Sequence[str]) -> RawHeaders:
        return RawHeaders.from_asgi(scope["headers"])

    return Binder(bind_raw_headers)
