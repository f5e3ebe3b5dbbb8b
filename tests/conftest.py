"""Shared fixtures: the example apps live in examples/, importable as a package; real
servers (Redis) the tests start; and the session-end check that nothing started by a test
is still running."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.granian_server import INTERFACES  # noqa: E402
from tests.postgres_server import (  # noqa: E402
    PostgresServer,
    PostgresUnavailable,
    postgres_server,
)
from tests.processes import survivors  # noqa: E402
from tests.redis_server import RedisServer, RedisUnavailable, redis_server  # noqa: E402


def unavailable(what: str, error: Exception) -> None:
    """A real server the test needs cannot start: a failure under CI, a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} must run in CI, and it could not start: {error}")
    pytest.skip(f"{what} cannot start here: {error}")


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A fresh Redis server of the test's own (it may stop and restart it)."""
    try:
        server = redis_server()
        started = server.__enter__()
    except RedisUnavailable as error:
        unavailable("Redis", error)
        raise
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


FOLDER_MARKERS = {"servers": "server", "browser": "browser", "benchmarks": "bench"}
"""Every test in these folders carries the marker: `-m "not server and not browser and
not bench"` is the quick loop. Tests elsewhere that start a server mark themselves."""


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster shared by a test module (`create_schema()` per test)."""
    try:
        server = postgres_server()
        started = server.__enter__()
    except PostgresUnavailable as error:
        unavailable("PostgreSQL", error)
        raise
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        parts = item.path.resolve().relative_to(tests).parts
        marker = FOLDER_MARKERS.get(parts[0]) if len(parts) > 1 else None
        if marker is not None:
            item.add_marker(marker)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a process a test started (a whole process group) still runs."""
    left = survivors()
    if left:
        sys.stderr.write(
            "\nprocesses started by tests are still running:\n"
            + "".join(f"  {command}\n" for command in left)
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="module", params=INTERFACES)
def interface(request: pytest.FixtureRequest) -> str:
    """granian's interface a real-server module runs on: each module runs on both."""
    return request.param
