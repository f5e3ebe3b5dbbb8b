"""The ASGI lifespan protocol, as an app serves it: one startup, one shutdown, and the
failure of either reported to the server with its message (and logged)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ._asgi import Receive, Send

logger = logging.getLogger("jero")


async def serve_lifespan(
    receive: Receive,
    send: Send,
    *,
    startup: Callable[[], Awaitable[None]],
    shutdown: Callable[[], Awaitable[None]],
    startup_failed: Callable[[BaseException], None],
) -> None:
    """Answer `lifespan.startup` with `startup()` and `lifespan.shutdown` with
    `shutdown()`; a startup that raises is handed to `startup_failed` and ends the
    protocol (the server then refuses to start)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await startup()
            except BaseException as error:
                startup_failed(error)
                logger.exception("Startup failed")
                await send({"type": "lifespan.startup.failed", "message": _describe(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await shutdown()
            except BaseException as error:
                logger.exception("Shutdown failed")
                await send({"type": "lifespan.shutdown.failed", "message": _describe(error)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
