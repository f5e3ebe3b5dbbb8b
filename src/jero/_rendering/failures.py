"""The app's answers when no handler result is sent: OPTIONS and 405 for a path without
the method, a body that ended early, an `HTTPError`, and the 500 of an uncaught exception.
Each answers through the app's `ProblemSender`, so problems follow its codecs."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from .._asgi import Scope, Send
from .._binding.body import BODY_ENDED
from .._errors import (
    HTTPError,
    InputProblem,
    InternalServerError,
    InvalidInputError,
    MethodNotAllowedError,
)
from .negotiation import ProblemSender

logger = logging.getLogger("jero")

INTERNAL = InternalServerError()


async def answer_without_handler(
    allow: bytes, method: str, head: bool, send: Send, scope: Scope, *, problem: ProblemSender
) -> None:
    """OPTIONS is answered for every known path; any other method is a 405. `allow` is
    the path's prebuilt `Allow` value."""
    if method == "OPTIONS":
        headers = [(b"allow", allow)]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    error = MethodNotAllowedError(headers={"allow": allow.decode("latin-1")})
    await problem(send, error, head, scope)


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
