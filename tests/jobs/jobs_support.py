"""What the durable-job tests share: the PostgreSQL fixture's server, restarting it in
place, `jero worker` processes, and counting what the handlers recorded."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import asyncpg
import pytest

from tests.granian_server import ROOT, read_log
from tests.postgres_server import PostgresServer, binaries, run, run_as_owner
from tests.processes import spawn, stop

WAIT_SECONDS = 60.0  # hang guards only; every wait ends as soon as its condition holds


def restart_postgres(server: PostgresServer) -> None:
    """Stop the server abruptly (as a crash would) and start it again on the same port."""
    prefix = run_as_owner(server.directory)
    data = server.directory / "data"
    log = server.directory / "server.log"
    pg_ctl = [*prefix, str(binaries() / "pg_ctl"), "-D", str(data), "-w", "-l", str(log)]
    run([*pg_ctl, "-m", "immediate", "restart"], "pg_ctl restart")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        return read_log(self.log)


@contextmanager
def jero_worker(dsn: str, concurrency: int = 4, **env: str) -> Iterator[Worker]:
    """`jero worker tests.jobs.jobs_app:app`; stopped (SIGTERM, then the group) on exit."""
    command = [sys.executable, "-m", "jero", "worker", "tests.jobs.jobs_app:app"]
    command += ["--concurrency", str(concurrency)]
    with tempfile.TemporaryFile() as log:
        process = spawn(command, cwd=ROOT, env={"JOBS_DSN": dsn, **env}, stdout=log)
        try:
            yield Worker(process, log)
        finally:
            stop(process)


def query(dsn: str, sql: str, *args: Any) -> list[Any]:
    async def fetch() -> list[Any]:
        connection = await asyncpg.connect(dsn)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(fetch())


def wait_for(what: str, check: Callable[[], bool], *logs: Worker) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, asyncpg.PostgresError):
            pass  # the database is restarting
        time.sleep(0.1)
    pytest.fail(f"not within {WAIT_SECONDS} s: {what}; " + " | ".join(w.output() for w in logs))
