"""A throwaway PostgreSQL server from Debian's package, for the tests and benchmarks.

`initdb` makes a cluster in a temporary directory and `pg_ctl` starts it on a free
loopback port with its unix socket in that directory, so it never meets a system
cluster (Debian's package may have created and started one on port 5432). initdb
refuses to run as root: as root the cluster belongs to the `postgres` system user
the package creates, and its commands run through `runuser`. Nothing here imports
pytest: the benchmark scripts use it too.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "jero"
START_SECONDS = 30
# Throwaway data: durability costs time and protects nothing.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


@dataclass
class PostgresServer:
    port: int
    directory: Path
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its URL (about half a second)."""
        name = f"{prefix}_{next(self._names)}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}"'))
        return self.url(name)

    def create_schema(self, prefix: str = "test") -> str:
        """A new empty schema, first on the search path of the URL returned.

        Much faster than a database (a catalog row, not a copy of template1): what a
        test needs to start from nothing. asyncpg sends unknown URL parameters as
        server settings, so `?search_path=` applies to every pooled connection.
        """
        name = f"{prefix}_{next(self._names)}"
        asyncio.run(self._admin(f'CREATE SCHEMA "{name}"'))
        return f"{self.url()}?search_path={name}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.url())
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


def binaries() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    found = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").exists() and (path / "pg_ctl").exists()
    ]
    if not found:
        raise PostgresUnavailable(
            "no initdb/pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        )
    return max(found, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_as_owner(directory: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's tools as a user initdb accepts."""
    if os.geteuid() != 0:
        return []
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no postgres user") from None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and runuser is missing")
    os.chown(directory, owner.pw_uid, owner.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({done.returncode}): {done.stderr.strip()}")


@contextmanager
def postgres_server(settings: Mapping[str, str] = FAST_SETTINGS) -> Iterator[PostgresServer]:
    """Start a fresh cluster; stop it and delete its files on the way out."""
    bindir = binaries()
    directory = Path(tempfile.mkdtemp(prefix="jero-postgres-"))
    try:
        prefix = run_as_owner(directory)
        data = directory / "data"
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust"]
        run([*prefix, *initdb, "--encoding=UTF8", "--locale=C", "--no-sync"], "initdb")
        port = free_port()
        options = [f"-p {port}", "-c listen_addresses=127.0.0.1", f"-k {directory}"]
        options += [f"-c {key}={value}" for key, value in settings.items()]
        pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-w"]
        start = [*pg_ctl, "-t", str(START_SECONDS), "-l", str(directory / "server.log")]
        try:
            run([*start, "-o", " ".join(options), "start"], "pg_ctl start")
        except PostgresUnavailable as error:
            raise PostgresUnavailable(f"{error}; server log: {log_tail(directory)}") from None
        try:
            yield PostgresServer(port, directory)
        finally:
            # immediate: no shutdown checkpoint, the files are deleted next anyway.
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def log_tail(directory: Path) -> str:
    log = directory / "server.log"
    return log.read_text(errors="replace")[-2000:] if log.exists() else "none"
