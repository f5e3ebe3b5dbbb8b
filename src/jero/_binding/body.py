"""The body sources `json` and `content`, and reading a request body within its limits."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, cast

import msgspec

from .._asgi import Receive, Scope
from .._errors import (
    ClientDisconnectError,
    InputProblem,
    InvalidBodyError,
    InvalidInputError,
    LimitProblem,
    MediaTypeProblem,
    OverLimitError,
    WiringError,
    WrongMediaTypeError,
    describe_decode_error,
)
from .._headers import find_header
from .._media import MSGPACK, MSGPACK_MEDIA_TYPES
from .._types import is_json_body_type
from .base import BODY, BindContext, Binder
from .deadlines import body_pace, receive_by, receive_within

BODY_ENDED = "the request body ended before it was complete"


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
    scope: Scope,
    receive: Receive,
    max_size: int,
    timeout: float | None,
    declared: bytes | None = None,
    *,
    min_rate: float | None = None,
) -> bytes:
    """The whole request body, refused with a 413 as soon as it is known to be too big,
    a 408 when no chunk arrives for `timeout` seconds or the body falls behind
    `min_rate` (see `BodyPace`), and `ClientDisconnectError` when the server reports the
    body ended (the client left, or sent broken framing).

    `declared` is the Content-Length header when the caller already found it.
    """
    check_content_length(scope, max_size, "request body", declared)
    # The first message comes without a pace (nothing received yet to measure), and
    # usually whole: `receive_within`'s dispatch, written out for this hot path.
    first = receive() if timeout is None else receive_by(receive, monotonic() + timeout, timeout)
    message = await first
    if message["type"] == "http.disconnect":
        raise ClientDisconnectError
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > max_size:
            raise OverLimitError(LimitProblem("request body", max_size))
        return body
    if declared is not None and len(body) == int(declared):
        # Every declared byte is here: the end-of-body message that may follow carries
        # nothing (granian sends one after a small body), so no second wait for it.
        return body
    chunks = [body]
    size = len(body)
    pace = body_pace(timeout, min_rate)
    while True:
        message = await receive_within(receive, timeout, pace, size)
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
TOO_DEEP = "JSON is malformed: nesting too deep"
"""msgspec raises RecursionError for a document nested deeper than the interpreter's
recursion limit allows; such a body is refused like any other unreadable JSON."""
_INT_DIGITS = 20
"""An integral float past this many digits stays a float: no int field holds it, and
turning `1e100000` into an int would cost the server, not the client."""


def _integral_float_as_int(text: str) -> int | float:
    """A JSON number with a fraction or exponent: an int when it is integral (exactly,
    from its text, so 9007199254740993.0 stays exact), else a float."""
    number = decimal.Decimal(text)
    if number.is_finite() and number.adjusted() < _INT_DIGITS and number == number.to_integral():
        return int(number)
    return float(text)


_lenient_decode = msgspec.json.Decoder(float_hook=_integral_float_as_int).decode


def json_decoder(tp: Any) -> Callable[[bytes], Any]:
    """`decode(body)` of a JSON document into `tp`, accepting integral floats (`3.0`) for
    `int` fields as JSON Schema's `integer` does; `3.5` is still refused.

    msgspec's typed decoder refuses `3.0` for an `int`, so only a body it refused for a
    float is decoded a second time, with integral floats read as ints, and converted:
    the happy path is one typed decode, as before. Raises msgspec's errors, and
    RecursionError for nesting too deep.
    """

    def lenient(data: bytes) -> Any:
        return msgspec.convert(_lenient_decode(data), tp, str_keys=True)

    return _accepting_integral_floats(msgspec.json.Decoder(tp).decode, lenient)


def _accepting_integral_floats(
    decode: Callable[[bytes], Any], lenient: Callable[[bytes], Any]
) -> Callable[[bytes], Any]:
    """`decode`, and for a body it refused over a float, `lenient` (integral floats read
    as ints, then converted); when that refuses a float too, the typed decoder's error,
    which names the same path."""

    def decode_body(data: bytes) -> Any:
        try:
            return decode(data)
        except msgspec.ValidationError as error:
            if "got `float`" not in str(error):
                raise
            first = error
        try:
            return lenient(data)
        except msgspec.ValidationError as error:
            if "got `float`" in str(error):
                raise first from None
            raise

    return decode_body


MSGPACK_TOO_DEEP = "MessagePack is malformed: nesting too deep"


def _integral_floats_as_ints(value: Any) -> Any:
    """A decoded MessagePack value with its integral floats (within `_INT_DIGITS`) as ints."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 10.0**_INT_DIGITS else value
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in cast("list[Any]", value)]
    if isinstance(value, dict):
        items = cast("dict[Any, Any]", value).items()
        return {key: _integral_floats_as_ints(item) for key, item in items}
    return value


def msgpack_decoder(tp: Any) -> Callable[[bytes], Any]:
    """`decode(body)` of a MessagePack document into `tp`, accepting integral floats for
    `int` fields exactly as `json_decoder` does (one typed decode on the happy path)."""

    def lenient(data: bytes) -> Any:
        return msgspec.convert(_integral_floats_as_ints(msgspec.msgpack.decode(data)), tp)

    return _accepting_integral_floats(msgspec.msgpack.Decoder(tp).decode, lenient)


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
    decode = json_decoder(tp)
    decode_msgpack = msgpack_decoder(tp) if ctx.msgpack else None
    expected = f"application/json or {MSGPACK}" if ctx.msgpack else "application/json"
    max_size = ctx.limits.max_body_size
    timeout = ctx.limits.body_timeout
    min_rate = ctx.limits.body_min_rate

    async def bind_json(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        raw = length = None
        for name, value in scope["headers"]:  # one pass for both; the first of each counts
            if name == b"content-type":
                raw = raw or value
            elif name == b"content-length":
                length = length or value
        decoder = decode
        if raw != b"application/json" and not is_json_media_type(kind := _media_type_of(raw)):
            if decode_msgpack is None or kind not in MSGPACK_MEDIA_TYPES:
                raise WrongMediaTypeError(MediaTypeProblem(expected, kind or "none"))
            decoder = decode_msgpack
        body = await read_body(scope, receive, max_size, timeout, length, min_rate=min_rate)
        try:
            return decoder(body)
        except msgspec.ValidationError as error:
            raise InvalidBodyError(InputProblem("body", describe_decode_error(error))) from None
        except msgspec.DecodeError as error:
            raise InvalidInputError(InputProblem("body", describe_decode_error(error))) from None
        except UnicodeDecodeError:  # msgspec raises it for invalid UTF-8 inside a string
            raise InvalidInputError(InputProblem("body", INVALID_UTF8)) from None
        except RecursionError:
            too_deep = TOO_DEEP if decoder is decode else MSGPACK_TOO_DEEP
            raise InvalidInputError(InputProblem("body", too_deep)) from None

    return Binder(bind_json, awaits=True, phase=BODY)


def build_content(tp: Any, ctx: BindContext) -> Binder:
    if tp is not bytes:
        raise WiringError(f"{ctx.where} must be annotated `bytes`")
    max_size = ctx.limits.max_body_size
    timeout = ctx.limits.body_timeout
    min_rate = ctx.limits.body_min_rate

    async def bind_content(scope: Scope, receive: Receive, values: Sequence[str]) -> bytes:
        return await read_body(scope, receive, max_size, timeout, min_rate=min_rate)

    return Binder(bind_content, awaits=True, phase=BODY)
