"""WebSocket echo benchmark: round-trips per second, jero against a raw ASGI app.

Both apps (benchmarks/apps/ws_echo_apps.py) run under granian (ASGI, one worker,
127.0.0.1 on a free port). The `websockets` client opens `--connections` sockets, each
sending a JSON `Say` and awaiting its `Echo` before the next (one message in flight per
socket), for `--messages` round-trips per socket or until `--seconds` run out,
whichever comes first. Every answer is checked. Runs alternate between the apps over
`--rounds`; the best round counts. Prints round-trips/s, the mean round-trip time per
socket in µs, and the ratio to raw. Servers are always terminated; only loopback is a
target.

    uv run python -m benchmarks.ws_echo --help
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
APPS = {"raw": "benchmarks.apps.ws_echo_apps:raw", "jero": "benchmarks.apps.ws_echo_apps:jero"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(target: str) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", target]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"granian exited: {log.read().decode(errors='replace')}")
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
            yield f"ws://127.0.0.1:{port}/echo"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _one_socket(url: str, messages: int, stop_at: float) -> int:
    done = 0
    async with connect(url, max_size=2**20, compression=None) as ws:
        for n in range(messages):
            if n % 64 == 0 and time.monotonic() > stop_at:
                break
            await ws.send(b'{"text":"hello","n":%d}' % n, text=True)
            answer = await ws.recv()
            if answer != f'{{"text":"hello","n":{n}}}':
                raise SystemExit(f"wrong answer {answer!r} for {n}")
            done += 1
    return done


async def _load(url: str, connections: int, messages: int, seconds: float) -> tuple[int, float]:
    started = time.perf_counter()
    stop_at = time.monotonic() + seconds
    counts = await asyncio.gather(
        *(_one_socket(url, messages, stop_at) for _ in range(connections))
    )
    return sum(counts), time.perf_counter() - started


def run(apps: list[str], connections: int, messages: int, seconds: float, rounds: int) -> None:
    best: dict[str, tuple[float, float]] = {}
    with serve(APPS[apps[0]]) as first, serve(APPS[apps[-1]]) as last:
        urls = {apps[0]: first, apps[-1]: last}
        for name in apps:  # warm up each server
            asyncio.run(_load(urls[name], connections, 200, seconds))
        for _ in range(rounds):
            for name in apps:
                total, elapsed = asyncio.run(_load(urls[name], connections, messages, seconds))
                rate = total / elapsed
                rtt = elapsed / (total / connections) * 1e6
                if name not in best or rate > best[name][0]:
                    best[name] = (rate, rtt)
    raw_rate = best.get("raw", (0.0, 0.0))[0]
    print(
        f"WebSocket echo on granian, {connections} socket(s), one message in flight each, "
        f"best of {rounds}"
    )
    print("| app  | round-trips/s | µs per round-trip | ratio to raw |")
    print("| ---- | ------------: | ----------------: | -----------: |")
    for name in apps:
        rate, rtt = best[name]
        ratio = f"{rate / raw_rate:.2f}" if raw_rate else "-"
        print(f"| {name:<4} | {rate:13,.0f} | {rtt:17.1f} | {ratio:>12} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default="raw,jero")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--messages", type=int, default=5000, help="round-trips per socket")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    apps = [a for a in args.apps.split(",") if a]
    unknown = [a for a in apps if a not in APPS]
    if unknown or not 1 <= len(apps) <= 2:
        raise SystemExit(f"--apps takes one or two of {', '.join(APPS)}")
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    run(apps, args.connections, args.messages, args.seconds, args.rounds)


if __name__ == "__main__":
    main()
