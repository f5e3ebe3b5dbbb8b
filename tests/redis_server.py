"""A throwaway Redis server from Debian's `redis-server`, for the tests and benchmarks.

It listens on a free loopback port with its files in a temporary directory, no
persistence unless asked. `stop()` and `start()` let fault tests take the broker away
and bring it back on the same port. Nothing here imports pytest: benchmark scripts use
it too; the fixtures that do (and that fail rather than skip under CI=true) are in
tests/conftest.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import spawn, stop

START_SECONDS = 15.0


class RedisUnavailable(Exception):
    """No Redis server can be started here; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    port: int
    directory: Path
    appendonly: bool = False
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on its port; returns once it answers PING."""
        if self._process is not None and self._process.poll() is None:
            return
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable("redis-server is not on PATH (apt-get install redis-server)")
        command = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self._process = spawn(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RedisUnavailable(f"redis-server exited: {self.log_tail()}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RedisUnavailable(f"redis-server did not answer in {START_SECONDS} s")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGKILL with `kill=True`, as a crash would)."""
        if self._process is not None:
            import signal

            stop(self._process, signal.SIGKILL if kill else signal.SIGTERM)
            self._process = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def log_tail(self) -> str:
        log = self.directory / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "no log"


@contextmanager
def redis_server(*, appendonly: bool = False) -> Iterator[RedisServer]:
    """A fresh Redis server; stopped and its files deleted on the way out."""
    directory = Path(tempfile.mkdtemp(prefix="jero-redis-"))
    server = RedisServer(free_port(), directory, appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
