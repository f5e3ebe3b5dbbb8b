"""The SQLite backend: a fixed pool of aiosqlite connections on one file, in WAL mode."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence

import aiosqlite
import anyio

from .database import Database, Dialect, Row, Transaction, UniqueViolation

POOL_SIZE = 4
# How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000


@functools.lru_cache(maxsize=512)
def sqlite_sql(sql: str) -> str:
    """`$1` → `?1`: SQLite's numbered placeholders bind the same arguments in order."""
    return re.sub(r"\$(\d+)", r"?\1", sql)


def unique_column(error: sqlite3.IntegrityError) -> str | None:
    """`books.isbn` from "UNIQUE constraint failed: books.isbn", else None."""
    message = str(error)
    prefix = "UNIQUE constraint failed: "
    return message.removeprefix(prefix) if message.startswith(prefix) else None


class SQLiteTransaction:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: object) -> None:
        await self.fetch(sql, *args)

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        try:
            rows = await self._connection.execute_fetchall(sqlite_sql(sql), args)
        except sqlite3.IntegrityError as error:
            column = unique_column(error)
            if column is None:
                raise
            raise UniqueViolation(column) from error
        return [tuple(row) for row in rows]

    async def fetch_one(self, sql: str, *args: object) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute_script(self, sql: str) -> None:
        # Under autocommit=True executescript stays in the transaction BEGIN opened.
        await self._connection.executescript(sql)


class SQLiteDatabase:
    """A fixed pool of connections, each with its own aiosqlite thread.

    Writers begin with `BEGIN IMMEDIATE`, which takes the file's write lock up front:
    a deferred transaction that reads and then writes could fail with SQLITE_BUSY at
    the write, without waiting, when another process wrote in between. Readers begin a
    deferred transaction, which in WAL mode never waits for a writer.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, connections: Sequence[aiosqlite.Connection]) -> None:
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self._idle.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[Transaction]:
        connection = await self._idle.get()
        try:
            await connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
            try:
                yield SQLiteTransaction(connection)
                with anyio.CancelScope(shield=True):
                    await connection.execute("COMMIT")
            finally:
                await rollback_if_open(connection)
        finally:
            self._idle.put_nowait(connection)


async def rollback_if_open(connection: aiosqlite.Connection) -> None:
    """After an error in the block or in COMMIT: the connection goes back clean.

    Shielded, so that a cancelled request (a client that went away) still rolls back.
    """
    with anyio.CancelScope(shield=True):
        if connection.in_transaction:
            await connection.execute("ROLLBACK")


@contextlib.asynccontextmanager
async def connect_sqlite(path: str) -> AsyncIterator[aiosqlite.Connection]:
    # autocommit=True: sqlite3 opens no transaction of its own (SQLiteDatabase says BEGIN
    # itself) and executescript does not commit the open one first.
    async with aiosqlite.connect(path, autocommit=True) as connection:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL lets readers and one writer work at once across processes (granian
        # workers); synchronous=NORMAL is durable across application crashes in WAL.
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        yield connection


@contextlib.asynccontextmanager
async def open_sqlite(path: str) -> AsyncIterator[Database]:
    # Every connection to ":memory:" is a database of its own: share one.
    size = 1 if path in {"", ":memory:"} else POOL_SIZE
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(connect_sqlite(path)) for _ in range(size)]
        yield SQLiteDatabase(connections)
