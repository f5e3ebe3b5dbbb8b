"""Request binding: one `Binder` per handler parameter, chosen by the parameter's name.

Builders run at wiring: they check the annotation and close over a prebuilt msgspec
decoder or converter, so binding at request time is a lookup and one decode. Adding a
source (forms, cookies, the authenticated user) is one entry in `SOURCES`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

import msgspec

from ._asgi import HeaderList, Receive, Scope
from ._errors import (
    InputProblem,
    InvalidBodyError,
    InvalidInputError,
    LimitProblem,
    MediaTypeProblem,
    NotFoundError,
    OverLimitError,
    WiringError,
    WrongMediaTypeError,
    describe_decode_error,
)
from ._fastpath import path_binder, query_binder
from ._headers import RawHeaders, find_header
from ._introspect import struct_fields, struct_hints
from ._render import header_wire_name, is_json_body_type, is_struct_type

type SyncBind = Callable[[Scope, Sequence[str]], Any]
type AsyncBind = Callable[[Scope, Receive, Sequence[str]], Awaitable[Any]]

BEFORE_BODY = 0
"""Phase of async binders that must run before anything is read (authentication)."""
PLAIN = 1
"""Phase of the synchronous binders (path, query, headers)."""
BODY = 2
"""Phase of the binder that reads the request body; at most one per handler."""


@dataclasses.dataclass(frozen=True, slots=True)
class Binder:
    """How one parameter gets its value. `bind` is `SyncBind` unless `awaits`."""

    bind: Callable[..., Any]
    awaits: bool = False
    phase: int = PLAIN
    release: Callable[[Scope], None] | None = None
    """Runs after the response (sent or failed) to free what `bind` held for the request,
    such as an upload spooled to disk."""


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Per-app request limits; each breach is a 413 problem."""

    max_body_size: int = 1024 * 1024
    """Bytes of a `json` or `content` body."""
    max_form_size: int = 16 * 1024 * 1024
    """Bytes of a `form` body (multipart or urlencoded), files included."""
    max_form_parts: int = 1000
    """Parts (or urlencoded fields) in one form."""
    max_part_size: int = 1024 * 1024
    """Bytes of one non-file form part: text, `bytes`, JSON; files are bounded by
    `max_form_size` only."""
    spool_threshold: int = 1024 * 1024
    """File bytes one request keeps in memory; past it, file parts go to a temporary
    file that is removed when the request ends."""


@dataclasses.dataclass(frozen=True, slots=True)
class BindContext:
    """What a binder builder may know about the handler it serves."""

    where: str
    """`Class.method parameter `name`` for error messages."""
    http_method: str
    slots: tuple[str, ...]
    limits: Limits
    auth: UserSource | None = None
    """The authenticator of the mount the handler belongs to, if it was included with one."""


class UserSource(Protocol):
    """What the `user` source needs from a mount's authenticator (see `_auth.AuthPlan`)."""

    def user_binder(self, annotation: Any, ctx: BindContext) -> Binder:
        """Check a handler's `user` annotation and return the binder that authenticates."""
        ...

    @property
    def authenticate(self) -> Callable[[Scope], Awaitable[Any]]:
        """`await authenticate(scope)` → the user, or an `HTTPError`; a handler that does
        not take `user` still runs it, before anything else is bound."""
        ...


type BinderBuilder = Callable[[Any, BindContext], Binder]


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """A parameter name jero binds, and whether it consumes the request body."""

    build: BinderBuilder
    reads_body: bool = False


class ClientDisconnectError(Exception):
    """The client went away while the request body was being read."""


# --- helpers shared by sources ---------------------------------------------------


def require_struct(tp: Any, ctx: BindContext) -> type[msgspec.Struct]:
    if not is_struct_type(tp):
        name = getattr(tp, "__name__", tp)
        raise WiringError(f"{ctx.where} must be annotated with a msgspec Struct, got {name!r}")
    return tp


def is_list_type(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return is_list_type(typing.get_args(tp)[0])
    if origin in (list, tuple, set, frozenset):
        return True
    return any(is_list_type(a) for a in typing.get_args(tp) if origin is not None and a is not None)


def struct_converter(tp: type[msgspec.Struct], source: str) -> Callable[[dict[str, Any]], Any]:
    """Convert text-valued fields (query, headers, cookies) to the Struct, or a 400."""

    def convert(values: dict[str, Any]) -> Any:
        try:
            return msgspec.convert(values, tp, strict=False)
        except msgspec.ValidationError as error:
            raise InvalidInputError(InputProblem(source, describe_decode_error(error))) from None

    return convert


def list_fields(tp: type[msgspec.Struct]) -> frozenset[str]:
    """Encoded names of fields that collect repeated keys."""
    hints = struct_hints(tp)
    return frozenset(f.encode_name for f in struct_fields(tp) if is_list_type(hints[f.name]))


def collect(pairs: Sequence[tuple[str, str]], lists: frozenset[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key in lists:
            values.setdefault(key, []).append(value)
        else:
            values.setdefault(key, value)
    return values


# --- path -------------------------------------------------------------------------


def build_path(tp: Any, ctx: BindContext) -> Binder:
    struct = require_struct(tp, ctx)
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
        except msgspec.ValidationError:
            raise NotFoundError() from None

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


def build_params(tp: Any, ctx: BindContext) -> Binder:
    struct = require_struct(tp, ctx)
    convert = struct_converter(struct, "query")
    lists = list_fields(struct)

    def convert_query(scope: Scope, values: Sequence[str]) -> Any:
        query: bytes = scope["query_string"]
        return convert(collect(parse_query(query), lists) if query else {})

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
                else:
                    found.setdefault(key, text)
        return found

    return collect_headers


def build_headers(tp: Any, ctx: BindContext) -> Binder:
    struct = require_struct(tp, ctx)
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


# --- body -------------------------------------------------------------------------


def check_content_length(
    scope: Scope, max_size: int, limit: str, declared: bytes | None = None
) -> None:
    """Refuse a declared Content-Length over `max_size` (413) or not a number (400) before
    anything is read. `declared` is the header when the caller already found it."""
    if declared is None:
        declared = find_header(scope["headers"], b"content-length")
    if declared is not None:
        if not declared.isdigit():  # int() would also take "-1", " 1" and "1_0"
            raise InvalidInputError(InputProblem("headers", "Invalid Content-Length"))
        if int(declared) > max_size:
            raise OverLimitError(LimitProblem(limit, max_size))


async def read_body(
    scope: Scope, receive: Receive, max_size: int, declared: bytes | None = None
) -> bytes:
    """The whole request body, refused with a 413 as soon as it is known to be too big.

    `declared` is the Content-Length header when the caller already found it.
    """
    check_content_length(scope, max_size, "request body", declared)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnectError
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > max_size:
            raise OverLimitError(LimitProblem("request body", max_size))
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectError
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_size:
            raise OverLimitError(LimitProblem("request body", max_size))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _media_type_of(raw: bytes | None) -> str:
    """The media type of a Content-Type value, lower-case, without parameters ('' when absent)."""
    if raw is None:
        return ""
    return raw.decode("latin-1").partition(";")[0].strip().lower()


INVALID_UTF8 = "JSON is malformed: invalid UTF-8 in a string"


def is_json_media_type(value: str) -> bool:
    return value == "application/json" or (
        value.startswith("application/") and value.endswith("+json")
    )


def build_json(tp: Any, ctx: BindContext) -> Binder:
    if not is_json_body_type(tp):
        raise WiringError(
            f"{ctx.where} must be annotated with a msgspec Struct or list[Struct], "
            f"got {getattr(tp, '__name__', tp)!r}"
        )
    decode = msgspec.json.Decoder(tp).decode
    max_size = ctx.limits.max_body_size

    async def bind_json(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        raw = length = None
        for name, value in scope["headers"]:  # one pass for both; the first of each counts
            if name == b"content-type":
                raw = raw or value
            elif name == b"content-length":
                length = length or value
        if raw != b"application/json" and not is_json_media_type(kind := _media_type_of(raw)):
            raise WrongMediaTypeError(MediaTypeProblem("application/json", kind or "none"))
        body = await read_body(scope, receive, max_size, length)
        try:
            return decode(body)
        except msgspec.ValidationError as error:
            raise InvalidBodyError(InputProblem("body", describe_decode_error(error))) from None
        except msgspec.DecodeError as error:
            raise InvalidInputError(InputProblem("body", describe_decode_error(error))) from None
        except UnicodeDecodeError:  # msgspec raises it for invalid UTF-8 inside a string
            raise InvalidInputError(InputProblem("body", INVALID_UTF8)) from None

    return Binder(bind_json, awaits=True, phase=BODY)


def build_content(tp: Any, ctx: BindContext) -> Binder:
    if tp is not bytes:
        raise WiringError(f"{ctx.where} must be annotated `bytes`")
    max_size = ctx.limits.max_body_size

    async def bind_content(scope: Scope, receive: Receive, values: Sequence[str]) -> bytes:
        return await read_body(scope, receive, max_size)

    return Binder(bind_content, awaits=True, phase=BODY)


# --- forms and cookies: their own modules build on this one, imported at wiring -----


def build_form(tp: Any, ctx: BindContext) -> Binder:
    from ._forms import build_form

    return build_form(tp, ctx)


def build_cookies(tp: Any, ctx: BindContext) -> Binder:
    from ._cookies import build_cookies

    return build_cookies(tp, ctx)


# --- user -------------------------------------------------------------------------


def build_user(tp: Any, ctx: BindContext) -> Binder:
    if ctx.auth is None:
        raise WiringError(
            f"{ctx.where} is the authenticated user, but the route was included without "
            f"an authenticator; pass auth=YourAuth() to _include_resource/_include_endpoint, "
            f"or remove the `user` parameter"
        )
    return ctx.auth.user_binder(tp, ctx)


SOURCES: dict[str, Source] = {
    "path": Source(build_path),
    "params": Source(build_params),
    "headers": Source(build_headers),
    "cookies": Source(build_cookies),
    "raw_headers": Source(build_raw_headers),
    "json": Source(build_json, reads_body=True),
    "content": Source(build_content, reads_body=True),
    "form": Source(build_form, reads_body=True),
    "user": Source(build_user),
}
