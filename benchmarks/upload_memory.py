"""Peak memory of a large multipart upload: 200 MB through `form: S` with a `FilePart`.

The app is driven in-process over raw ASGI (no socket, no test client buffering the
body): `receive` hands out the multipart body in 64 KiB chunks, built on the fly from
one reused chunk, so the only copies of the upload are the ones jero makes. The handler
streams the file back out of its spool and hashes it. The script prints the growth of
the process's peak RSS (ru_maxrss) over a warmed-up baseline, the throughput, and
whether the spooled temporary file was released (open file descriptors before/after).

    uv run python -m benchmarks.upload_memory [--mb 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import os
import resource
import time
from collections.abc import Iterator
from typing import Any

import msgspec

from benchmarks._asgi import Lifespan, Message, request_scope
from jero import BaseApp, Endpoint, FilePart, Limits

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


HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="title"\r\n\r\n'
    "big upload\r\n"
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
PAYLOAD = bytes(range(256)) * (CHUNK // 256)  # one chunk, reused for the whole file
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def payload_pieces(size: int) -> Iterator[bytes]:
    """`size` bytes of file content, as `PAYLOAD` chunks (the last one cut short)."""
    for sent in range(0, size, len(PAYLOAD)):
        yield PAYLOAD if size - sent >= len(PAYLOAD) else PAYLOAD[: size - sent]


async def upload(app: UploadApp, size: int) -> tuple[int, dict[str, Any]]:
    chunks = itertools.chain([HEAD], payload_pieces(size), [TAIL])

    async def receive() -> Message:
        body = next(chunks, None)
        if body is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": body, "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"content-length", str(len(HEAD) + size + len(TAIL)).encode()),
    ]
    await app(request_scope("POST", "/upload", headers), receive, send)
    status = sent[0]["status"]
    return status, msgspec.json.decode(sent[1]["body"])


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def main(megabytes: int) -> None:
    size = megabytes * 1_000_000
    app = UploadApp(limits=Limits(max_form_size=size + 1_000_000))
    lifespan = Lifespan(app)
    await lifespan.startup()
    started_up = peak_rss_mib()
    await upload(app, 4 * 1024 * 1024)  # warm-up: imports, thread pool, first spool
    fds_before = open_fds()
    baseline = peak_rss_mib()
    started = time.perf_counter()
    status, answer = await upload(app, size)
    elapsed = time.perf_counter() - started
    peak = peak_rss_mib()
    fds_after = open_fds()
    await lifespan.shutdown()

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
