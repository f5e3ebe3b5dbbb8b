"""Sending a file body: whole through the server's `http.response.pathsend` extension
when it offers one, otherwise in bounded chunks read off the event loop, so a file of
any size costs one chunk of memory."""

from __future__ import annotations

import os

import anyio.to_thread

from .._asgi import Send

CHUNK_SIZE = 256 * 1024
PATHSEND = "http.response.pathsend"


async def send_chunks(send: Send, path: str, offset: int, length: int) -> None:
    """Send `length` bytes of `path` from `offset`, then end the body. A file that
    shrank meanwhile ends the body early (the server sees the short length); a client
    that went away (`OSError` from `send`) ends it quietly."""
    if length == 0:
        await _end(send)
        return
    try:
        fd = await anyio.to_thread.run_sync(os.open, path, os.O_RDONLY)
    except OSError:
        await _end(send)
        return
    try:
        while length > 0:
            chunk = await anyio.to_thread.run_sync(os.pread, fd, min(CHUNK_SIZE, length), offset)
            if not chunk:
                break
            offset += len(chunk)
            length -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": length > 0})
        if length > 0:
            await _end(send)
    except OSError:
        return
    finally:
        os.close(fd)


async def _end(send: Send) -> None:
    try:
        await send({"type": "http.response.body", "body": b""})
    except OSError:
        return
