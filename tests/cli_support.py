"""Running the `jero` command as a subprocess, for the CLI tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.granian_server import ROOT, STARTUP_SECONDS, read_log
from tests.processes import spawn, stop

COMMAND_SECONDS = 30.0


def jero(
    *args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m jero ARGS`, run to completion, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "jero", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


@dataclass
class Served:
    """A running `jero run` / `jero dev` process and everything it printed."""

    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        return read_log(self.log)

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send `signum` and wait (bounded) for the exit status."""
        self.process.send_signal(signum)
        status = self.process.wait(timeout=COMMAND_SECONDS)
        stop(self.process)  # whatever the server left of its group
        return status


@contextmanager
def serving(args: Sequence[str], ready: Callable[[], bool], cwd: Path = ROOT) -> Iterator[Served]:
    """Start `jero ARGS`; yield once `ready()` is true; kill it on the way out if alive."""
    with tempfile.TemporaryFile() as log:
        process = spawn([sys.executable, "-m", "jero", *args], cwd=cwd, stdout=log)
        served = Served(process, log)
        try:
            wait_for(ready, served)
            yield served
        finally:
            # The whole group: SIGKILL of `jero run` alone would orphan granian's workers.
            stop(process, signal.SIGKILL)


def wait_for(ready: Callable[[], bool], served: Served, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"jero exited with {served.process.returncode}: {served.output()}")
        if ready():
            return
        time.sleep(0.05)
    pytest.fail(f"not ready within {seconds} s: {served.output()}")


def answers(url: str, transport: httpx.HTTPTransport | None = None) -> Callable[[], bool]:
    """A readiness probe: the server answers any HTTP response at `url`."""

    def probe() -> bool:
        try:
            with httpx.Client(transport=transport, timeout=1.0) as client:
                client.get(url)
        except httpx.TransportError:
            return False
        return True

    return probe
