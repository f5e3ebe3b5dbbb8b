"""The PostgreSQL backend: an asyncpg pool."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from .database import Database, Dialect, Row, Transaction, UniqueViolation

POOL_SIZE = 10


class PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: object) -> None:
        await self.fetch(sql, *args)

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        try:
            rows = await self._connection.fetch(sql, *args)
        except asyncpg.UniqueViolationError as error:
            raise UniqueViolation(postgres_unique_column(error)) from error
        return [tuple(row) for row in rows]

    async def fetch_one(self, sql: str, *args: object) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute_script(self, sql: str) -> None:
        # Without arguments asyncpg sends the simple query protocol: many statements.
        await self._connection.execute(sql)


def postgres_unique_column(error: Exception) -> str:
    """`books.isbn` from the error's detail "Key (isbn)=(...) already exists."."""
    table = getattr(error, "table_name", None) or "?"
    match = re.match(r"Key \(([^)]*)\)", getattr(error, "detail", None) or "")
    return f"{table}.{match.group(1) if match else '?'}"


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[Transaction]:
        async with self._pool.acquire() as connection, connection.transaction(readonly=readonly):
            yield PostgresTransaction(connection)


@contextlib.asynccontextmanager
async def open_postgres(url: str) -> AsyncIterator[Database]:
    async with asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE) as pool:
        yield PostgresDatabase(pool)
