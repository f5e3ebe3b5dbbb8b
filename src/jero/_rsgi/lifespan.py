"""Lifespan over RSGI: granian calls `__rsgi_init__(loop)` before serving and
`__rsgi_del__(loop)` after, both synchronous, on the worker's event loop before it runs
and after it stopped.

The app's lifespan is driven exactly as an ASGI server drives it: the app is called
with a `lifespan` scope in a task on that loop, `lifespan.startup` is sent and the loop
runs until the app answers; the task then waits, suspended, while granian serves, and
`lifespan.shutdown` ends it. A failed startup ends the worker with exit status 1 (what
granian does for a failed ASGI lifespan), so the server refuses to start.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from .._asgi import ASGIApp, Message

__all__ = ["shutdown", "startup"]

logger = logging.getLogger("jero")


class Lifespan:
    """The lifespan task of one app on one loop, and its two mailboxes."""

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        scope: dict[str, Any] = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": {},
        }
        self.task: asyncio.Task[None] = loop.create_task(self.__run(app, scope))

    async def __run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        await app(scope, self.inbox.get, self.outbox.put)

    def step(self, phase: str) -> str | None:
        """Send `lifespan.{phase}`; None when the app completed it, else the failure."""
        return self.loop.run_until_complete(self.__step(phase))

    async def __step(self, phase: str) -> str | None:
        await self.inbox.put({"type": f"lifespan.{phase}"})
        reply = asyncio.ensure_future(self.outbox.get())
        await asyncio.wait({reply, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():
            reply.cancel()
            if self.task.cancelled():
                return "the lifespan task was cancelled"
            error = self.task.exception()
            if error is not None:
                return f"{type(error).__name__}: {error}"
            return f"the app returned without answering lifespan.{phase}"
        message = reply.result()
        if message["type"] == f"lifespan.{phase}.complete":
            return None
        return str(message.get("message", "")) or f"lifespan.{phase} failed"

    def finish(self) -> None:
        """Let the task return after shutdown (or stop it if it does not)."""
        if not self.task.done():
            self.loop.run_until_complete(asyncio.wait({self.task}, timeout=1.0))
        if not self.task.done():
            self.task.cancel()


_running: weakref.WeakKeyDictionary[Any, Lifespan] = weakref.WeakKeyDictionary()


def startup(app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
    """Run the app's startup on `loop`; a failure exits the worker (status 1)."""
    lifespan = Lifespan(app, loop)
    failure = lifespan.step("startup")
    if failure is not None:
        lifespan.finish()
        logger.error("RSGI lifespan startup failed: %s", failure)
        raise SystemExit(1)
    _running[app] = lifespan


def shutdown(app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
    """Run the app's shutdown (closing what `_wire` entered) on `loop`."""
    lifespan = _running.pop(app, None)
    if lifespan is None:
        return
    failure = lifespan.step("shutdown")
    if failure is not None:
        logger.error("RSGI lifespan shutdown failed: %s", failure)
    lifespan.finish()
