"""Static file memory: one sparse 1 GiB file served by a static mount, peak RSS reported.

In-process, the app is called as a server would call it, without the pathsend extension,
so jero itself reads the file in chunks; `send` counts and drops them. Over HTTP, a
granian process (one worker) serves the same mount on loopback: a whole-file GET goes
through granian's `http.response.pathsend`, a `Range: bytes=1-` GET (nearly the whole
file) through jero's chunks; httpx streams each response and drops it, and the peak RSS
(VmHWM) of granian's processes is read from /proc once the download is done. A 1 GiB
body held in memory anywhere would show as a 1 GiB peak.

    uv run python -m benchmarks.static_memory               # in-process and granian
    uv run python -m benchmarks.static_memory --size-mib 256 --no-granian
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._asgi import BenchmarkError, Lifespan, Message, request_scope
from benchmarks.stream_memory import reset_peak_rss, rss_kib
from jero import BaseApp

ROOT = Path(__file__).resolve().parent.parent


class StaticApp(BaseApp):
    async def _wire(self) -> None:
        self._include_static("/files", directory=os.environ["JERO_STATIC_DIR"])


app = StaticApp()
"""What the granian run serves (the directory comes from JERO_STATIC_DIR)."""


def sparse_file(directory: Path, size: int) -> Path:
    path = directory / "big.bin"
    with open(path, "wb") as handle:
        handle.truncate(size)  # a hole: no disk blocks, reads return zeros
    return path


async def in_process(size: int) -> dict[str, float]:
    served = StaticApp()
    lifespan = Lifespan(served)
    await lifespan.startup()
    sent = 0
    chunks = 0
    ended = False

    async def send(message: Message) -> None:
        nonlocal sent, chunks, ended
        if message["type"] == "http.response.body":
            sent += len(message.get("body", b""))
            chunks += 1
            ended = not message.get("more_body", False)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    try:
        gc.collect()
        before = rss_kib("VmRSS")
        peak_reset = reset_peak_rss()
        started = time.perf_counter()
        scope = request_scope("GET", "/files/big.bin", [(b"host", b"127.0.0.1")])
        await served({**scope, "state": {}}, receive, send)
        seconds = time.perf_counter() - started
        peak = rss_kib("VmHWM") if peak_reset else rss_kib("VmRSS")
    finally:
        await lifespan.shutdown()
    if sent != size or not ended:
        raise BenchmarkError(f"in-process: sent {sent:,} of {size:,} bytes, ended={ended}")
    return {"seconds": seconds, "before": before, "peak": peak, "chunks": chunks}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (granian's workers are child processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def over_granian(directory: Path, size: int) -> list[tuple[str, float, int]]:
    port = free_port()
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1"]
    command += ["--host", "127.0.0.1", "--port", str(port), "benchmarks.static_memory:app"]
    env = {**os.environ, "JERO_STATIC_DIR": str(directory)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    rows: list[tuple[str, float, int]] = []
    try:
        url = f"http://127.0.0.1:{port}/files/big.bin"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.head(url, timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise BenchmarkError("granian did not start") from None
                time.sleep(0.1)
        idle = max(peak_kib(pid) for pid in descendants(process.pid))
        rows.append(("granian idle (after startup)", 0.0, idle))
        for label, headers, expected in (
            ("granian GET whole file (pathsend)", {}, size),
            ("granian GET Range bytes=1- (jero chunks)", {"range": "bytes=1-"}, size - 1),
        ):
            started = time.perf_counter()
            received = 0
            with httpx.stream("GET", url, headers=headers, timeout=60) as response:
                for chunk in response.iter_raw():
                    received += len(chunk)
            seconds = time.perf_counter() - started
            if received != expected:
                raise BenchmarkError(f"{label}: received {received:,} of {expected:,} bytes")
            rows.append((label, seconds, max(peak_kib(pid) for pid in descendants(process.pid))))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--no-granian", action="store_true", help="in-process run only")
    arguments = parser.parse_args()
    size = arguments.size_mib * 2**20
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        sparse_file(directory, size)
        os.environ["JERO_STATIC_DIR"] = str(directory)
        result = asyncio.run(in_process(size))
        print(f"file: {size / 2**20:,.0f} MiB (sparse)")
        print(f"{'run':<44}  {'seconds':>7}  {'MiB/s':>7}  {'peak RSS':>10}")
        mib = size / 2**20
        print(
            f"{'in-process GET (jero chunks), RSS before':<44}  {'':>7}  {'':>7}  "
            f"{result['before'] / 1024:>6.1f} MiB"
        )
        print(
            f"{'in-process GET (jero chunks)':<44}  {result['seconds']:>7.2f}  "
            f"{mib / result['seconds']:>7.0f}  {result['peak'] / 1024:>6.1f} MiB"
        )
        if not arguments.no_granian:
            for label, seconds, peak in over_granian(directory, size):
                rate = f"{mib / seconds:>7.0f}" if seconds else f"{'':>7}"
                shown = f"{seconds:>7.2f}" if seconds else f"{'':>7}"
                print(f"{label:<44}  {shown}  {rate}  {peak / 1024:>6.1f} MiB")


if __name__ == "__main__":
    main()
