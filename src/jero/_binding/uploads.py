"""Uploaded files: `FilePart` and the spool that holds its bytes.

A file part stays in memory while it is small; past the request's in-memory budget it
moves to an anonymous temporary file, written in batches through a worker thread so a
large upload neither fills memory nor blocks the event loop. The binder that creates
spools registers the on-disk ones and closes them when the request ends, which frees
the disk space (the file has no name to leave behind).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

import anyio.to_thread

from .._headers import RawHeaders

__all__ = ["FilePart"]

FLUSH_SIZE = 1024 * 1024
"""Bytes gathered before one write to disk: few thread hops, little memory."""
CHUNK_SIZE = 1024 * 1024
"""Bytes per chunk when a `FilePart` is iterated: one thread hop per MiB from disk."""


class MemoryBudget:
    """How many more file bytes one request may keep in memory."""

    __slots__ = ("remaining",)

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining


def _never_on_disk(spool: Spool) -> None:
    raise AssertionError("a finished spool takes no more writes")


class Spool:
    """The bytes of one file part: a bytearray, then an anonymous temporary file."""

    __slots__ = ("_budget", "_closed", "_file", "_memory", "_on_disk", "_pending", "size")

    def __init__(self, budget: MemoryBudget, on_disk: Callable[[Spool], None]) -> None:
        self._budget = budget
        self._on_disk = on_disk
        self._memory = bytearray()
        self._pending = bytearray()
        self._file: BinaryIO | None = None
        self._closed = False
        self.size = 0

    @classmethod
    def holding(cls, content: bytes) -> Spool:
        """A finished in-memory spool of `content`."""
        spool = cls(MemoryBudget(0), _never_on_disk)
        spool._memory += content
        spool.size = len(content)
        return spool

    @property
    def in_memory(self) -> bool:
        return self._file is None and not self._closed

    async def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._file is None:
            if len(chunk) <= self._budget.remaining:
                self._memory += chunk
                self._budget.remaining -= len(chunk)
                return
            # Over budget: this part moves to disk and gives its memory back.
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            self._on_disk(self)
            self._budget.remaining += len(self._memory)
            self._pending, self._memory = self._memory, bytearray()
        self._pending += chunk
        if len(self._pending) >= FLUSH_SIZE:
            await self._flush()

    async def finish(self) -> None:
        """The part is complete: everything written reaches the file, ready to read."""
        if self._file is not None:
            await self._flush()
            await anyio.to_thread.run_sync(self._file.flush)

    async def _flush(self) -> None:
        file, pending = self._file, self._pending
        assert file is not None
        if pending:
            await anyio.to_thread.run_sync(file.write, pending)
            self._pending = bytearray()

    def close(self) -> None:
        """Release the temporary file; its disk space goes with it (it has no name)."""
        file, self._file = self._file, None
        self._closed = True
        self._memory = bytearray()
        self._pending = bytearray()
        if file is not None:
            file.close()

    async def read_at(self, position: int, size: int) -> bytes:
        """Up to `size` bytes from `position` (all of the rest when `size` < 0)."""
        if self._closed:
            raise ValueError("this upload was closed when its request ended; read it earlier")
        end = self.size if size < 0 else min(self.size, position + size)
        if end <= position:
            return b""
        file = self._file
        if file is None:
            return bytes(self._memory[position:end])
        # pread: no shared file position, so concurrent readers cannot interfere.
        return await anyio.to_thread.run_sync(os.pread, file.fileno(), end - position, position)


class FilePart:
    """An uploaded file: its metadata, and its bytes through `await read()`.

    `filename` is what the client sent (`None` for a part without one; treat it as
    untrusted input, never as a path), `content_type` the part's media type without
    parameters, `headers` every part header, `size` the byte count. Large files live in
    a temporary file that is removed when the request ends, so read them inside the
    handler.
    """

    __slots__ = ("_position", "_spool", "content_type", "filename", "headers", "name")

    def __init__(
        self,
        name: str,
        filename: str | None,
        content_type: str | None,
        headers: RawHeaders,
        spool: Spool,
    ) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.headers = headers
        self._spool = spool
        self._position = 0

    @classmethod
    def from_bytes(
        cls,
        content: bytes,
        *,
        name: str = "",
        filename: str | None = None,
        content_type: str | None = None,
        headers: RawHeaders | None = None,
    ) -> FilePart:
        """A file part held in memory, e.g. to call a handler directly in a unit test."""
        return cls(name, filename, content_type, headers or RawHeaders(), Spool.holding(content))

    @property
    def size(self) -> int:
        return self._spool.size

    @property
    def in_memory(self) -> bool:
        """False once the part was spooled to a temporary file."""
        return self._spool.in_memory

    async def read(self, size: int = -1) -> bytes:
        """The next `size` bytes (all the rest by default); b"" at the end."""
        data = await self._spool.read_at(self._position, size)
        self._position += len(data)
        return data

    def seek(self, position: int) -> None:
        """Move the read position, e.g. `seek(0)` to read the file again."""
        if position < 0:
            raise ValueError("position must be >= 0")
        self._position = position

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The rest of the file in chunks of up to 1 MiB."""
        while chunk := await self.read(CHUNK_SIZE):
            yield chunk

    def __repr__(self) -> str:
        return (
            f"FilePart(name={self.name!r}, filename={self.filename!r}, "
            f"content_type={self.content_type!r}, size={self.size})"
        )
