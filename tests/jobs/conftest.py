"""The PostgreSQL server of the durable-job tests: one per module, a schema per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import unavailable
from tests.postgres_server import PostgresServer, PostgresUnavailable, postgres_server


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
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


@pytest.fixture
def dsn(postgres: PostgresServer) -> str:
    """A new empty schema, first on the search path of this URL."""
    return postgres.create_schema("jobs")
