"""The PostgreSQL server of the durable-job tests: one per module, a schema per test."""

from __future__ import annotations

import pytest

from tests.postgres_server import PostgresServer


@pytest.fixture
def dsn(postgres: PostgresServer) -> str:
    """A new empty schema, first on the search path of this URL."""
    return postgres.create_schema("jobs")
