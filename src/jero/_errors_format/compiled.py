"""The app's error answers, compiled once from its declarations into a `ProblemSender`.

Every error answer of an app (a handler's `HTTPError`, binding failures, 404/405, the
middleware guard, CORS refusals, static files, WebSocket denials) goes through the one
`ProblemSender` made here. With no declaration it is exactly jero's RFC 9457 sender, so
the default path is unchanged; a custom `ErrorFormat` gets an encoder built here and its
bodies for errors without params encoded once per class.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import msgspec

from .._asgi import Scope, Send
from .._errors import (
    AuthenticationRequiredError,
    HTTPError,
    InternalServerError,
    MethodNotAllowedError,
    NotFoundError,
    ServiceUnavailableError,
    WiringError,
)
from .._rendering.encoders import problem_headers, send_body
from .._rendering.negotiation import ProblemSender, send_json_problem, send_negotiated_problem
from .format import ErrorFormat, check_format
from .statuses import InputStatuses, Remap

__all__ = ["AppErrors", "compile_errors"]

_ANSWERED_WITHOUT_PARAMS: tuple[type[HTTPError[Any]], ...] = (
    NotFoundError,
    MethodNotAllowedError,
    AuthenticationRequiredError,
    InternalServerError,
    ServiceUnavailableError,
)
"""What jero answers most often: rendered at wiring, so a broken `render` fails the boot."""


@dataclasses.dataclass(frozen=True, slots=True)
class AppErrors:
    """How an app answers errors (`sender`) and what describes them (OpenAPI, client)."""

    sender: ProblemSender
    format: ErrorFormat[Any] | None
    statuses: InputStatuses
    msgpack: bool

    @property
    def media_type(self) -> str:
        return "application/problem+json" if self.format is None else self.format.media_type


def compile_errors(
    owner: str,
    error_format: ErrorFormat[Any] | None,
    input_statuses: InputStatuses | None,
    *,
    msgpack: bool,
) -> AppErrors:
    """Check the declarations and build the app's `ProblemSender`."""
    declared = typing.cast(object, input_statuses) if input_statuses is not None else None
    declared = InputStatuses() if declared is None else declared
    if not isinstance(declared, InputStatuses):
        raise WiringError(
            f"{owner}: input_statuses= takes an InputStatuses, got {type(declared).__qualname__}"
        )
    statuses = declared
    statuses.check(owner)
    remap = statuses.remap()
    if error_format is None:
        sender = send_negotiated_problem if msgpack else send_json_problem
        return AppErrors(_remapped(sender, remap), None, statuses, msgpack)
    fmt = check_format(error_format, owner)
    return AppErrors(_formatted(fmt, remap, owner), fmt, statuses, msgpack)


def _remapped(sender: ProblemSender, remap: Remap | None) -> ProblemSender:
    if remap is None:
        return sender

    async def send_remapped(send: Send, error: HTTPError[Any], head: bool, scope: Scope) -> None:
        await sender(send, remap(error), head, scope)

    return send_remapped


def _formatted(fmt: ErrorFormat[Any], remap: Remap | None, owner: str) -> ProblemSender:
    body_type = type(fmt).body_type
    encode = msgspec.json.Encoder().encode
    content_type = fmt.media_type.encode("latin-1")
    render = fmt.render
    where = f"{type(fmt).__qualname__}.render"

    def encoded(error: HTTPError[Any]) -> bytes:
        body = render(error)
        if type(body) is not body_type:
            raise TypeError(f"{where} returned {type(body).__qualname__}, not {body_type.__name__}")
        return encode(body)

    static: dict[type[HTTPError[Any]], bytes] = {}
    for cls in _ANSWERED_WITHOUT_PARAMS:
        try:
            static[cls] = encoded(cls())
        except Exception as error:
            raise WiringError(
                f"{owner}: {where} fails for {cls.__name__}(): {type(error).__name__}: {error}"
            ) from error

    async def send_formatted(send: Send, error: HTTPError[Any], head: bool, scope: Scope) -> None:
        if remap is not None:
            error = remap(error)
        cls = type(error)
        if error.params is None:
            body = static.get(cls)
            if body is None:
                body = static[cls] = encoded(error)
        else:
            body = encoded(error)
        await send_body(send, cls.status, problem_headers(error, body, content_type), body, head)

    return send_formatted
