"""Peak memory of a large multipart upload: 200 MB through `form: S` with a `FilePart`.

The app is driven in-process over raw ASGI (no socket, no test client buffering the
body): `receive` hands out the multipart body in 64 KiB chunks, built on the fly from
one reused chunk, so the only copies of the upload are the ones jero makes. The handler
streams the file back out of its spool and hashes it. The script prints the growth of
the process's peak RSS (ru_maxrss) over a warmed-up baseline, the throughput, and
whether the spooled temporary file was released (open file descriptors before/after).

    uv run python benchmarks/upload_memory.py [--mb 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import resource
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec

from jero import BaseApp, Endpoint, FilePart, Limits
from jero._asgi import Message

BOUNDARY = "jero-upload-memory-benchmark"
CHUNK = 64 * 1024


class Upload(msgspec.Struct):
    title: str
    file: FilePart


class Digest(msgspec.Struct):
    title: str
    size: int
    sha256: str
    spooled: bool


class UploadEndpoint(Endpoint, path="/upload"):
    async def post(self, form: Upload) -> Digest:
        digest = hashlib.sha256()
        async for chunk in form.file:
            digest.update(chunk)
        return Digest(form.title, form.file.size, digest.hexdigest(), not form.file.in_memory)


class UploadApp(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(UploadEndpoint())


def body_chunks(size: int) -> tuple[bytes, bytes, int, bytes]:
    """The head, the reused payload chunk, the payload size, and the tail."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "big upload\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    payload = bytes(range(256)) * (CHUNK // 256)
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, payload, size, tail


def payload_pieces(size: int) -> Iterator[bytes]:
    _, payload, total, _ = body_chunks(size)
    sent = 0
    while sent < total:
        piece = payload if total - sent >= len(payload) else payload[: total - sent]
        sent += len(piece)
        yield piece


async def stream(size: int) -> AsyncIterator[bytes]:
    head, _, _, tail = body_chunks(size)
    yield head
    for piece in payload_pieces(size):
        yield piece
    yield tail


async def upload(app: UploadApp, size: int) -> tuple[int, dict[str, Any]]:
    head, _, total, tail = body_chunks(size)
    length = len(head) + total + len(tail)
    chunks = stream(size)
    pending: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            try:
                pending.append(await anext(chunks))
            except StopAsyncIteration:
                return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": pending.pop(), "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    status = sent[0]["status"]
    return status, msgspec.json.decode(sent[1]["body"])


async def run_lifespan(app: UploadApp) -> tuple[asyncio.Queue[Message], asyncio.Task[None]]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    reply = await outbox.get()
    assert reply["type"] == "lifespan.startup.complete", reply
    return inbox, task


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def main(megabytes: int) -> None:
    size = megabytes * 1_000_000
    app = UploadApp(limits=Limits(max_form_size=size + 1_000_000))
    inbox, lifespan = await run_lifespan(app)
    started_up = peak_rss_mib()
    await upload(app, 4 * 1024 * 1024)  # warm-up: imports, thread pool, first spool
    fds_before = open_fds()
    baseline = peak_rss_mib()
    started = time.perf_counter()
    status, answer = await upload(app, size)
    elapsed = time.perf_counter() - started
    peak = peak_rss_mib()
    fds_after = open_fds()
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan

    expected = hashlib.sha256()
    for piece in payload_pieces(size):
        expected.update(piece)
    print(f"upload             : {megabytes} MB in {CHUNK // 1024} KiB chunks, status {status}")
    print(f"file size bound    : {answer['size']:,} bytes, spooled to disk: {answer['spooled']}")
    print(f"throughput         : {size / elapsed / 1e6:,.0f} MB/s ({elapsed:.2f} s)")
    print(f"peak RSS           : {started_up:,.1f} MiB after startup, {baseline:,.1f} MiB after")
    print(f"                     a 4 MiB warm-up upload, {peak:,.1f} MiB after the upload")
    print(f"peak RSS growth    : {peak - started_up:,.1f} MiB over startup")
    print(f"                     ({peak - baseline:,.1f} MiB over the warmed-up baseline)")
    print(f"open fds before/after: {fds_before}/{fds_after} (temporary file released)")
    assert status == 200, answer
    assert answer["size"] == size
    assert answer["sha256"] == expected.hexdigest(), "the upload arrived altered"
    assert fds_after == fds_before, "the spooled file was not closed"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Peak memory of a large multipart upload")
    parser.add_argument("--mb", type=int, default=200, help="upload size in MB (default 200)")
    asyncio.run(main(parser.parse_args().mb))
