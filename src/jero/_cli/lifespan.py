"""Start and stop an app in-process with the ASGI lifespan protocol, serving nothing.

`jero routes`, `jero openapi` and `jero check` need the wired app, not a server: they
send `lifespan.startup`, read what wiring built, then send `lifespan.shutdown`, so the
app's services are entered and closed exactly as under granian.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Generator
from typing import Any

from .framework import ASGIApp, Message

_SCOPE_ASGI = {"version": "3.0", "spec_version": "2.0"}


class LifespanFailed(Exception):
    """Startup or shutdown failed; the message is the one the app reported."""

    def __init__(self, phase: str, message: str) -> None:
        super().__init__(message)
        self.phase = phase
        self.message = message


@contextlib.asynccontextmanager
async def started(app: ASGIApp) -> AsyncGenerator[None]:
    """Run lifespan startup, yield, run shutdown; a failure is `LifespanFailed`.

    A failed startup has already unwound (the app does so before reporting it), so
    shutdown is only sent after a startup that completed.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope: dict[str, Any] = {"type": "lifespan", "asgi": _SCOPE_ASGI, "state": {}}

    async def run_app() -> None:
        await app(scope, inbox.get, outbox.put)

    task = asyncio.create_task(run_app())
    try:
        await _step(task, inbox, outbox, "startup")
        try:
            yield
        finally:
            await _step(task, inbox, outbox, "shutdown")
        await task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _step(
    task: asyncio.Task[None],
    inbox: asyncio.Queue[Message],
    outbox: asyncio.Queue[Message],
    phase: str,
) -> None:
    with _quiet_jero_logger():
        await inbox.put({"type": f"lifespan.{phase}"})
        reply = asyncio.ensure_future(outbox.get())
        await asyncio.wait({reply, task}, return_when=asyncio.FIRST_COMPLETED)
    if not reply.done():
        reply.cancel()
        task.result()  # the app raised instead of answering: let that propagate
        raise LifespanFailed(phase, f"the app returned without answering lifespan.{phase}")
    message = reply.result()
    if message["type"] == f"lifespan.{phase}.failed":
        await task  # the app returns once it reported the failure
        raise LifespanFailed(phase, str(message.get("message", "")))


@contextlib.contextmanager
def _quiet_jero_logger() -> Generator[None]:
    """The app logs a failed startup with its traceback; the CLI reports it itself."""
    logger = logging.getLogger("jero")
    was_disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = was_disabled
