"""A module-scoped PostgreSQL server for the channel tests, and stopping and starting
it on the same port (tests/postgres_server.py only starts and deletes one)."""

from __future__ import annotations

import subprocess

from tests.postgres_server import (
    FAST_SETTINGS,
    PostgresServer,
    binaries,
    run_as_owner,
)

__all__ = ["pg_ctl", "pg_start"]


def pg_ctl(server: PostgresServer, *action: str) -> None:
    bindir = binaries()
    data = server.directory / "data"
    command = [*run_as_owner(server.directory), str(bindir / "pg_ctl"), "-D", str(data), "-w"]
    subprocess.run([*command, *action], capture_output=True, check=True, timeout=60)


def pg_start(server: PostgresServer) -> None:
    options = [f"-p {server.port}", "-c listen_addresses=127.0.0.1", f"-k {server.directory}"]
    options += [f"-c {key}={value}" for key, value in FAST_SETTINGS.items()]
    log = str(server.directory / "server.log")
    pg_ctl(server, "-t", "30", "-l", log, "-o", " ".join(options), "start")
