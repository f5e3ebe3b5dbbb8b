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
    InvalidInputError,
    LimitProblem,
    OverLimitError,
    WiringError,
)
from .._headers import find_header
from .base import BODY, BindContext, Binder
from .deadlines import (
    body_pace,
    receive_by,
    receive_within,
)

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
    if declared is None:
        declared = find_header(scope["headers"], b"content-length")
        if declared is not None:
            check_content_length(scope, max_size, "request body", declared)
    else:
        check_content_length(scope, max_size, "request body", declared)
    # The first message comes without a pace (nothing received yet to measure), and
    # usually whole: `receive_within`'s dispatch, written out for this path.
    first = receive() if timeout is None else receive_by(receive, monotonic() + timeout, timeout)
    message = await first
    if message["type"] == "http.disconnect":
        raise ClientDisconnectError
    body: bytes = message.get("body", b"")
    if message.get("more_body", False) and (declared is None or len(body) != int(declared)):
        return await rest_of_body(
            receive, body, max_size, timeout, min_rate=min_rate, declared=declared
        )
    if len(body) > max_size:
        raise OverLimitError(LimitProblem("request body", max_size))
    return body


async def rest_of_body(
    receive: Receive,
    first: bytes,
    max_size: int,
    timeout: float | None,
    *,
    min_rate: float | None,
    declared: bytes | None = None,
) -> bytes:
    """The body after its `first` chunk, when that said more follows, until a message
    says it is the last or, with a `declared` Content-Length, until that many bytes are
    here: the end-of-body message that may follow carries nothing (granian sends one
    after every body), so there is no wait for it."""
    if len(first) > max_size:
        raise OverLimitError(LimitProblem("request body", max_size))
    chunks = [first]
    size = len(first)
    expected = -1 if declared is None else int(declared)
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
        if not message.get("more_body", False) or size == expected:
            return b"".join(chunks)


def media_type_of(raw: bytes | None) -> str:
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
    return _accepting_integral_floats(msgspec.json.Decoder(tp).decode, json_lenient(tp))


def json_lenient(tp: Any) -> Callable[[bytes], Any]:
    def lenient(data: bytes) -> Any:
        return msgspec.convert(_lenient_decode(data), tp, str_keys=True)

    return lenient


def _accepting_integral_floats(
    decode: Callable[[bytes], Any], lenient: Callable[[bytes], Any]
) -> Callable[[bytes], Any]:
    """`decode`, and for a body it refused over a float, `lenient` (see `reread`)."""

    def decode_body(data: bytes) -> Any:
        try:
            return decode(data)
        except msgspec.ValidationError as error:
            return reread(data, error, lenient)

    return decode_body


def reread(data: bytes, error: msgspec.ValidationError, lenient: Callable[[bytes], Any]) -> Any:
    """A body the typed decoder refused with `error`: when that was over a float,
    `lenient` (integral floats read as ints, then converted); when that refuses a float
    too, or `error` was another, the typed decoder's error, which names the same path."""
    if "got `float`" not in str(error):
        raise error
    try:
        return lenient(data)
    except msgspec.ValidationError as again:
        if "got `float`" in str(again):
            raise error from None
        raise


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
    return _accepting_integral_floats(msgspec.msgpack.Decoder(tp).decode, msgpack_lenient(tp))


def msgpack_lenient(tp: Any) -> Callable[[bytes], Any]:
    def lenient(data: bytes) -> Any:
        return msgspec.convert(_integral_floats_as_ints(msgspec.msgpack.decode(data)), tp)

    return lenient


def is_json_media_type(value: str) -> bool:
    return value == "application/json" or (
        value.startswith("application/") and value.endswith("+json")
    )


def build_content(tp: Any, ctx: BindContext) -> Binder:
    if tp is not bytes:
        raise WiringError(f"{ctx.where} must be annotated `bytes`")
    max_size = ctx.limits.max_body_size
    timeout = ctx.limits.body_timeout
    min_rate = ctx.limits.body_min_rate

    async def bind_content(scope: Scope, receive: Receive, values: Sequence[str]) -> bytes:
        return await read_body(scope, receive, max_size, timeout, min_rate=min_rate)

    return Binder(bind_content, awaits=True, phase=BODY)
