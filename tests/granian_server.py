"""Run a jero app in a real granian process on a free loopback port, for the tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.processes import spawn, stop

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 15.0
INTERFACES = ("asgi", "rsgi")
"""Both of granian's async interfaces: real-server tests run on each (`interface`)."""


@dataclass
class GranianProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        """Everything granian (and the app's logging) printed so far."""
        return read_log(self.log)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def granian(
    target: str,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    interface: str = "asgi",
) -> Iterator[GranianProcess]:
    """Serve `target` (module:attr) with granian workers on `interface` ("asgi", or
    "rsgi" for granian's native interface); stop it on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "granian", "--interface", interface]
    command += ["--workers", str(workers)]
    command += ["--host", "127.0.0.1", "--port", str(port), target]
    with tempfile.TemporaryFile() as log:
        process = spawn(command, cwd=ROOT, env=env or {}, stdout=log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(process, url, log)
            yield GranianProcess(url, process, log)
        finally:
            stop(process)


def wait_until_serving(process: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"granian exited with {process.returncode}: {read_log(log)}")
        try:
            httpx.get(f"{url}/", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        return
    pytest.fail(f"granian did not answer within {STARTUP_SECONDS} s: {read_log(log)}")


def read_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


WAIT_SECONDS = 15.0  # hang guards only; every wait ends as soon as its condition holds


@dataclass
class MarkedServer(GranianProcess):
    """A granian process whose app writes lines to a marker file (teardowns, hooks run)."""

    marker: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def marks(self) -> list[str]:
        return self.marker.read_text().splitlines() if self.marker.exists() else []

    def wait_for_mark(self, line: str) -> list[str]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if line in (marks := self.marks()):
                return marks
            time.sleep(0.02)
        pytest.fail(f"no {line!r} in {self.marks()}; server log: {self.output()}")


@contextmanager
def granian_marked(
    target: str, marker_variable: str, interface: str = "asgi"
) -> Iterator[MarkedServer]:
    """Serve `target`, telling its app the marker file's path in `marker_variable`."""
    with tempfile.TemporaryDirectory() as folder:
        marker = Path(folder) / "marks.txt"
        with granian(target, {marker_variable: str(marker)}, interface=interface) as running:
            yield MarkedServer(running.url, running.process, running.log, marker)
