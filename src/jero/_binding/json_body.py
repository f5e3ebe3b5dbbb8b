"""The `json` source: a typed body, read, checked and decoded in one coroutine.

A POST's whole cost is a few microseconds, and each hop on the way (a coroutine per
step: binder, body reader, receive with its deadline, decoder) measured as a tenth of
it. So `JsonBody.bind` does it all in one frame: the Content-Type and Content-Length
headers in one pass, the first message's wait under the body timeout (`receive_by`
written out), the decode; and, for a handler whose only parameter is `json`, the call
of the handler itself (`JsonBody.calling`). Bodies that come in several chunks go on in
`rest_of_body`, bounded as every body is.
"""

from __future__ import annotations

from asyncio import current_task, get_running_loop
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any

import msgspec

from .._asgi import Message, Receive, Scope
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
from .._media import MSGPACK, MSGPACK_MEDIA_TYPES
from .._types import is_json_body_type
from .base import BODY, AsyncBind, BindContext, Binder, Handler
from .body import (
    INVALID_UTF8,
    MSGPACK_TOO_DEEP,
    TOO_DEEP,
    check_content_length,
    is_json_media_type,
    json_lenient,
    media_type_of,
    msgpack_lenient,
    reread,
    rest_of_body,
)
from .deadlines import body_timeout, receive_by, recent, watchdog_of


def build_json(tp: Any, ctx: BindContext) -> Binder:
    if not is_json_body_type(tp):
        raise WiringError(
            f"{ctx.where} must be annotated with a msgspec Struct or list[Struct], "
            f"got {getattr(tp, '__name__', tp)!r}"
        )
    body = JsonBody(tp, ctx)
    return Binder(body.bind, awaits=True, phase=BODY, alone=body.calling)


class JsonBody:
    """One handler's `json` parameter: its decoders and limits, and the handler to call
    with it when that takes nothing else (`call`)."""

    __slots__ = (
        "call",
        "decode",
        "expected",
        "lenient",
        "max_size",
        "min_rate",
        "msgpack_decode",
        "msgpack_lenient",
        "timeout",
        "wide",
    )

    def __init__(self, tp: Any, ctx: BindContext) -> None:
        self.decode = msgspec.json.Decoder(tp).decode
        self.lenient = json_lenient(tp)
        self.msgpack_decode = self.msgpack_lenient = None
        if ctx.msgpack:
            self.msgpack_decode = msgspec.msgpack.Decoder(tp).decode
            self.msgpack_lenient = msgpack_lenient(tp)
        self.expected = f"application/json or {MSGPACK}" if ctx.msgpack else "application/json"
        self.max_size = ctx.limits.max_body_size
        self.wide = len(str(self.max_size))
        """A declared length with fewer digits is within `max_size`: no int() to know."""
        self.timeout = ctx.limits.body_timeout
        self.min_rate = ctx.limits.body_min_rate
        self.call: Handler | None = None

    def calling(self, call: Handler) -> AsyncBind:
        """The invoker of a handler whose only parameter is this: bind, then call it."""
        copy = object.__new__(JsonBody)
        for name in JsonBody.__slots__:
            setattr(copy, name, getattr(self, name))
        copy.call = call
        return copy.bind

    async def bind(self, scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        kind = length = None
        for name, value in scope["headers"]:  # one pass for both; the first of each counts
            if name == b"content-type":
                kind = kind or value
            elif name == b"content-length":
                length = length or value
        decode = self.decode if kind == b"application/json" else self.decoder_for(kind)
        if length is not None and (len(length) >= self.wide or not length.isdigit()):
            check_content_length(scope, self.max_size, "request body", length)
        timeout = self.timeout
        if timeout is None:
            message = await receive()
        else:
            # `receive_by`, written out: while the receive waits, the task is in its
            # loop's watchdog with its deadline (no timer of its own, no frame).
            try:
                loop = get_running_loop()
            except RuntimeError:  # not asyncio
                loop = None
            task = None if loop is None else current_task(loop)
            if loop is None or task is None:
                message = await receive_by(receive, monotonic() + timeout, timeout)
            else:
                watchdog = recent.watchdog
                if watchdog is None or watchdog.loop is not loop:
                    watchdog = watchdog_of(loop)
                deadline = monotonic() + timeout
                watchdog.waiting[task] = deadline
                if watchdog.timer is None or deadline < watchdog.timer_at:
                    watchdog.schedule(deadline)
                try:
                    message = await receive()
                except BaseException as error:
                    if watchdog.overdue(task, error):
                        raise body_timeout(timeout) from None
                    raise
                if watchdog.expired:  # (the sweep takes out what it cancels)
                    watchdog.settle(task)
                else:
                    del watchdog.waiting[task]
        try:
            body: bytes = message["body"]
        except KeyError:  # a disconnect, or a request message without a body
            body = _bodiless(message)
        if message.get("more_body", False) and (length is None or len(body) != int(length)):
            # (Once the declared length is here, the end-of-body message that may follow
            # carries nothing: granian sends one after every body. No wait for it.)
            body = await rest_of_body(
                receive, body, self.max_size, timeout, min_rate=self.min_rate, declared=length
            )
        elif len(body) > self.max_size:
            raise OverLimitError(LimitProblem("request body", self.max_size))
        try:
            value = decode(body)
        except Exception as error:
            value = self.refused(body, error, decode)
        call = self.call
        return value if call is None else await call(value)

    def decoder_for(self, kind: bytes | None) -> Callable[[bytes], Any]:
        """The decoder for a Content-Type other than exactly `application/json`, or 415."""
        media = media_type_of(kind)
        if is_json_media_type(media):
            return self.decode
        if self.msgpack_decode is None or media not in MSGPACK_MEDIA_TYPES:
            raise WrongMediaTypeError(MediaTypeProblem(self.expected, media or "none"))
        return self.msgpack_decode

    def refused(self, body: bytes, error: Exception, decode: object) -> Any:
        """The body `decode` refused with `error`: bound anyway when only integral floats
        stood in the way (see `reread`), else the 400 or 422."""
        is_json = decode is self.decode
        try:
            lenient = self.lenient if is_json else self.msgpack_lenient
            if isinstance(error, msgspec.ValidationError) and lenient is not None:
                return reread(body, error, lenient)
            raise error
        except msgspec.ValidationError as invalid:
            raise InvalidBodyError(InputProblem("body", describe_decode_error(invalid))) from None
        except msgspec.DecodeError as malformed:
            problem = InputProblem("body", describe_decode_error(malformed))
            raise InvalidInputError(problem) from None
        except UnicodeDecodeError:  # msgspec raises it for invalid UTF-8 inside a string
            raise InvalidInputError(InputProblem("body", INVALID_UTF8)) from None
        except RecursionError:
            too_deep = TOO_DEEP if is_json else MSGPACK_TOO_DEEP
            raise InvalidInputError(InputProblem("body", too_deep)) from None


def _bodiless(message: Message) -> bytes:
    """The body of a message that has none: b"" for a request message (ASGI's default),
    `ClientDisconnectError` for a disconnect."""
    if message["type"] == "http.disconnect":
        raise ClientDisconnectError
    return b""
