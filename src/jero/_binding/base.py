"""What every binding source shares: the `Binder` contract, the phases, the limits,
and the helpers that turn text pairs (query, headers, cookies) into a Struct.

Builders run at wiring: they check the annotation and close over a prebuilt msgspec
decoder or converter, so binding at request time is a lookup and one decode.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec

from .._asgi import Receive, Scope
from .._errors import InputProblem, InvalidInputError, WiringError, describe_decode_error
from .._types import (
    is_list_type,
    is_struct_type,
    is_union,
    struct_fields,
    struct_hints,
    union_of,
)

type SyncBind = Callable[[Scope, Sequence[str]], Any]
type AsyncBind = Callable[[Scope, Receive, Sequence[str]], Awaitable[Any]]
type Handler = Callable[[Any], Awaitable[Any]]
"""A handler bound to its route object, called with one argument."""

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
    alone: Callable[[Handler], AsyncBind] | None = None
    """For a handler whose only parameter this is: `alone(method)` binds it and calls
    `method` with it, in one coroutine (the invoker, one hop shorter)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Per-app request limits; each size breach is a 413 problem, a stalled body a 408."""

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
    body_timeout: float | None = 60.0
    """Seconds a `json`, `content` or `form` body may go without a byte arriving (not
    the whole body's time); then the answer is a 408 problem. None: wait forever."""
    body_min_rate: float | None = 1024
    """Bytes per second a body sent in several chunks must average, once its first
    `body_timeout` seconds (60 when that is None) are over: the whole body may take
    that grace plus one second per `body_min_rate` bytes received, so a body dripped
    just under the per-chunk timeout is still bounded. Past it, a 408 problem. None:
    no whole-body bound."""


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
    msgpack: bool = False
    """The app takes MessagePack bodies as well as JSON (`BaseApp(msgpack=True)`)."""


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

    def for_public(self) -> UserSource:
        """The same authenticator for a public operation: no credentials bind None."""
        ...


type BinderBuilder = Callable[[Any, BindContext], Binder]


# --- helpers shared by sources ---------------------------------------------------


def require_struct(tp: Any, ctx: BindContext) -> type[msgspec.Struct]:
    if not is_struct_type(tp):
        name = getattr(tp, "__name__", tp)
        raise WiringError(f"{ctx.where} must be annotated with a msgspec Struct, got {name!r}")
    return tp


def struct_converter(tp: type[msgspec.Struct], source: str) -> Callable[[dict[str, Any]], Any]:
    """Convert text-valued fields (query, headers, cookies) to the Struct, or a 400.

    Lenient conversion would read the text `null` as None for an optional field; there
    None means absent, so `null` is refused as the field's type refuses it.
    """
    nulls = text_null_reasons(tp)

    def convert(values: dict[str, Any]) -> Any:
        try:
            return msgspec.convert(values, tp, strict=False)
        except msgspec.ValidationError as error:
            raise InvalidInputError(InputProblem(source, describe_decode_error(error))) from None

    if not nulls:
        return convert

    def convert_refusing_null(values: dict[str, Any]) -> Any:
        for key, reason in nulls:
            if values.get(key) == "null":
                raise InvalidInputError(InputProblem(source, reason))
        return convert(values)

    return convert_refusing_null


def text_null_reasons(tp: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(encoded name, the 400's reason) of each field that lenient conversion would set
    to None from the text `null`, such as `int | None` (not `str | None`: "null" is text)."""
    hints = struct_hints(tp)
    reasons: list[tuple[str, str]] = []
    for field in struct_fields(tp):
        hint = hints[field.name]
        if not is_union(hint) or type(None) not in typing.get_args(hint):
            continue
        try:
            if msgspec.convert("null", hint, strict=False) is not None:
                continue
            members = [a for a in typing.get_args(hint) if a is not type(None)]
            msgspec.convert("null", union_of(members), strict=False)
        except msgspec.ValidationError as error:
            reason = f"{describe_decode_error(error)} - at `$.{field.encode_name}`"
            reasons.append((field.encode_name, reason))
    return tuple(reasons)


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
