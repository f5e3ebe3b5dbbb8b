"""The database: one small interface, two backends chosen by a URL.

`sqlite:///path/to/file.sqlite3` (the default) opens a pool of aiosqlite connections;
`postgresql://user@host:port/dbname` opens an asyncpg pool. Both hand out the same
`Transaction`: `execute`, `fetch`, `fetch_one` and `execute_script`, with PostgreSQL's
`$1, $2, ...` placeholders in every statement (SQLite reads them as `?1, ?2, ...`).
A write that breaks a UNIQUE constraint raises `UniqueViolation` on either backend, so
the code above this module never sees a driver's exception.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal, Protocol

type Row = tuple[Any, ...]
type Dialect = Literal["sqlite", "postgresql"]


class UniqueViolation(Exception):
    """A write broke a UNIQUE constraint; `column` is the column the backend named."""

    def __init__(self, column: str) -> None:
        super().__init__(f"unique constraint violated on {column}")
        self.column = column


class Transaction(Protocol):
    """One open transaction on one connection; it ends when its `async with` block does."""

    async def execute(self, sql: str, *args: object) -> None: ...

    async def fetch(self, sql: str, *args: object) -> list[Row]: ...

    async def fetch_one(self, sql: str, *args: object) -> Row | None: ...

    async def execute_script(self, sql: str) -> None:
        """Run several `;`-separated statements without parameters (a migration file)."""
        ...


class Database(Protocol):
    """A pool of connections; `transaction()` borrows one for the length of a block."""

    dialect: Dialect

    def transaction(
        self, *, readonly: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """Commit when the block ends normally, roll back when it raises."""
        ...


def open_database(url: str) -> contextlib.AbstractAsyncContextManager[Database]:
    """Open the pool for `url`; it closes when the returned context manager exits."""
    # Each backend's module is imported only when chosen, so a SQLite deployment does
    # not need asyncpg installed.
    if url.startswith("sqlite://"):
        from .sqlite import open_sqlite

        return open_sqlite(url.removeprefix("sqlite://").removeprefix("/"))
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import open_postgres

        return open_postgres(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///... or postgresql://...")
