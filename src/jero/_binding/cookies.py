"""`cookies: S`: the `Cookie` header bound to a Struct.

Reading is lenient, the way RFC 6265 §5.4 says user agents send cookies: pairs split on
`;`, names and values trimmed, a pair without `=` ignored, the first of two same-named
cookies wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .._asgi import HeaderList, Scope
from .._types import struct_fields
from .base import BindContext, Binder, collect, list_fields, struct_converter
from .text_fields import require_text_struct

_COOKIE = b"cookie"


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """`name=value` pairs of a `Cookie` header, in order, leniently (RFC 6265 §5.4).

    Whitespace around names and values is trimmed, a value wrapped in double quotes is
    unwrapped, and a piece without `=` or with an empty name is skipped. Nothing is
    percent-decoded: values arrive as the client sent them.
    """
    pairs: list[tuple[str, str]] = []
    for piece in header.split(";"):
        name, eq, value = piece.partition("=")
        name = name.strip()
        if not eq or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        pairs.append((name, value))
    return pairs


def request_cookies(headers: HeaderList) -> list[tuple[str, str]]:
    """Every cookie of the request; HTTP/2 clients may split them over several headers."""
    pairs: list[tuple[str, str]] = []
    for key, value in headers:
        if key == _COOKIE:
            pairs.extend(parse_cookie_header(value.decode("utf-8", "replace")))
    return pairs


def cookie_collector(struct: type[msgspec.Struct]) -> Callable[[HeaderList], dict[str, Any]]:
    """Pick the cookies a Struct's fields name (msgspec `rename` applies), as text.

    Like `_binding.header_collector`, shared by the `cookies` source and the
    authenticator's `cookies` credentials.
    """
    lists = list_fields(struct)
    names = frozenset(f.encode_name for f in struct_fields(struct))

    def collect_cookies(headers: HeaderList) -> dict[str, Any]:
        return collect([pair for pair in request_cookies(headers) if pair[0] in names], lists)

    return collect_cookies


def build_cookies(tp: Any, ctx: BindContext) -> Binder:
    """`cookies: S`: fields are cookie names verbatim (msgspec `rename` applies)."""
    struct = require_text_struct(tp, ctx, "cookies")
    convert = struct_converter(struct, "cookies")
    collect_cookies = cookie_collector(struct)

    def bind_cookies(scope: Scope, values: Sequence[str]) -> Any:
        return convert(collect_cookies(scope["headers"]))

    return Binder(bind_cookies)
