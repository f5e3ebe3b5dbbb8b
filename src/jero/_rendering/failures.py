"""The app's answers when a request fails: an `HTTPError`, a body that ended early, and
the 500 of an uncaught exception. Each answers through the app's `ProblemSender`, so
problems follow its codecs."""

from __future__ import annotations

import contextlib
import logging
import typing
from typing import Any

from .._asgi import Scope, Send
from .._binding.body import BODY_ENDED
from .._errors import (
    ClientDisconnectError,
    HTTPError,
    InputProblem,
    InternalServerError,
    InvalidInputError,
)
from .negotiation import ProblemSender

logger = logging.getLogger("jero")

INTERNAL = InternalServerError()


async def answer_failure(
    error: Exception, send: Send, head: bool, scope: Scope, problem: ProblemSender
) -> None:
    """The app's answer to an exception raised while serving a request (call it from the
    `except` clause, so a crash is logged with its traceback): an `HTTPError` is its
    problem, a body that ended early a 400, anything else the static 500."""
    if isinstance(error, HTTPError):
        await send_error(send, typing.cast(HTTPError[Any], error), head, scope, problem)
    elif isinstance(error, ClientDisconnectError):
        await answer_ended_body(send, head, scope, problem)
    else:
        await send_crash(send, head, scope, problem)


async def answer_ended_body(send: Send, head: bool, scope: Scope, problem: ProblemSender) -> None:
    """The body ended early: a client still there (broken framing) gets a 400; when it
    is gone, the server drops the answer or raises OSError (ASGI 2.4), and that is all."""
    error = InvalidInputError(InputProblem("body", BODY_ENDED))
    with contextlib.suppress(OSError):
        await problem(send, error, head, scope)


async def send_error(
    send: Send, error: HTTPError[Any], head: bool, scope: Scope, problem: ProblemSender
) -> None:
    """An `HTTPError` as its problem document. Rendering it runs user data (params,
    headers); when that fails too, it is answered like any other uncaught exception."""
    try:
        await problem(send, error, head, scope)
    except Exception:
        await send_crash(send, head, scope, problem)


async def send_crash(send: Send, head: bool, scope: Scope, problem: ProblemSender) -> None:
    """Log the exception being handled and answer the static 500 problem."""
    logger.exception("Unhandled error in %s %s", scope["method"], scope["path"])
    # When the response had already started (the client went away mid-send), the
    # server refuses a second start; nothing more can be told to the client.
    with contextlib.suppress(Exception):
        await problem(send, INTERNAL, head, scope)
